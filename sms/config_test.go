package sms

import (
	"fmt"
	"strings"
	"testing"
)

func TestRouteConfigValidation(t *testing.T) {
	good := RouteConfig{Name: "op1", Host: "127.0.0.1", Port: 2775, SystemID: "detour", Password: "s3cr3t"}.WithDefaults()
	if err := good.Validate(0); err != nil {
		t.Fatal(err)
	}
	for field, mutate := range map[string]func(*RouteConfig){
		"name":      func(c *RouteConfig) { c.Name = "" },
		"port":      func(c *RouteConfig) { c.Port = 0 },
		"system_id": func(c *RouteConfig) { c.SystemID = strings.Repeat("x", 16) },
		"password":  func(c *RouteConfig) { c.Password = "ninechars" },
		"bind_mode": func(c *RouteConfig) { c.BindMode = "receiver" },
		"window":    func(c *RouteConfig) { c.Window = 0 },
		"split":     func(c *RouteConfig) { c.Split = "cut" },
	} {
		c := good
		mutate(&c)
		err := c.Validate(3)
		if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("routes[3].%s", field)) {
			t.Errorf("%s: %v", field, err)
		}
		if err != nil && strings.Contains(err.Error(), "ninechars") {
			t.Errorf("the error shows the password: %v", err)
		}
	}
	if fmt.Sprintf("%+v", good) != "" && strings.Contains(fmt.Sprintf("%+v", good), "s3cr3t") {
		t.Fatal("printing a route config shows its password")
	}
}
