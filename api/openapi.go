package api

import (
	"encoding/json"
	"net/http"
	"sort"
	"strconv"

	"github.com/detourhq/detour"
)

// Version is the version of the API described by the OpenAPI document.
const Version = "1.0.0"

// buildOpenAPI builds the OpenAPI 3.1 document from the operations table.
func (s *Server) buildOpenAPI() ([]byte, error) {
	paths := map[string]map[string]any{}
	for _, op := range s.ops {
		item := paths[op.path]
		if item == nil {
			item = map[string]any{}
			paths[op.path] = item
		}
		item[lowerMethod(op.method)] = describe(op)
	}
	problem := map[string]any{ctProblem: map[string]any{"schema": ref("Problem")}}
	doc := map[string]any{
		"openapi":           "3.1.0",
		"jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
		"info": map[string]any{
			"title":   "Detour API",
			"version": Version,
			"description": "Detour is a self-hosted business-messaging gateway that routes around channel outages. " +
				"Every operation under /v1 except this document needs `Authorization: Bearer <API key>` and is rate limited per key. " +
				"Errors are `application/problem+json` bodies with a stable `code`, and `field` when one field is at fault. " +
				"A path that does not exist is 404 `not_found`; a method a path does not take is 405 `method_not_allowed` with an Allow header. " +
				"Times are RFC 3339 in UTC with fractional seconds.",
			"license": map[string]any{"name": "Apache-2.0", "identifier": "Apache-2.0"},
		},
		"tags": []any{
			map[string]any{"name": "messages", "description": "Send, read, list and cancel messages."},
			map[string]any{"name": "verifications", "description": "Send one-time codes (OTP) and check them."},
			map[string]any{"name": "events", "description": "What happened to messages and verifications."},
			map[string]any{"name": "routes", "description": "The channels' routes and how they are doing."},
			map[string]any{"name": "meta", "description": "Health, readiness, metrics and this document."},
		},
		"paths": paths,
		"components": map[string]any{
			"schemas": componentSchemas(),
			"securitySchemes": map[string]any{
				"apiKey": map[string]any{"type": "http", "scheme": "bearer", "bearerFormat": "dtr_<key id>_<secret>",
					"description": "A Detour API key, created with `detour keys create`. It decides the tenant."},
			},
			"responses": map[string]any{
				"NotFound":         map[string]any{"description": "No such path: `not_found`.", "content": problem},
				"MethodNotAllowed": map[string]any{"description": "The path does not take this method: `method_not_allowed`.", "content": problem},
			},
		},
	}
	return json.MarshalIndent(doc, "", "  ")
}

// describe builds the OpenAPI operation object of op.
func describe(op *operation) map[string]any {
	o := map[string]any{
		"operationId": op.id,
		"summary":     op.summary,
		"description": op.description,
		"tags":        []string{op.tag},
	}
	if op.auth {
		o["security"] = []any{map[string]any{"apiKey": []string{}}}
	} else {
		o["security"] = []any{}
	}
	var params []any
	for _, p := range append(append([]param(nil), op.params...), op.headers...) {
		params = append(params, map[string]any{
			"name": p.name, "in": p.in, "description": p.description,
			"required": p.required, "schema": p.schema,
		})
	}
	if len(params) > 0 {
		o["parameters"] = params
	}
	if op.body != "" {
		o["requestBody"] = map[string]any{
			"required": !op.optional,
			"content":  map[string]any{ctJSON: map[string]any{"schema": ref(op.body)}},
		}
	}
	responses := map[string]any{strconv.Itoa(op.success.status): describeResponse(op.success)}
	for _, r := range op.also {
		responses[strconv.Itoa(r.status)] = describeResponse(r)
	}
	for status, codes := range groupByStatus(op.allProblems()) {
		r := map[string]any{
			"description": http.StatusText(status) + ". Problem codes: " + codeList(codes) + ".",
			"content":     map[string]any{ctProblem: map[string]any{"schema": ref("Problem")}},
		}
		switch status {
		case http.StatusUnauthorized:
			r["headers"] = map[string]any{"WWW-Authenticate": header(`The scheme to use: Bearer realm="detour".`)}
		case http.StatusTooManyRequests:
			r["headers"] = map[string]any{"Retry-After": map[string]any{"description": "Whole seconds to wait before retrying.",
				"schema": map[string]any{"type": "integer", "minimum": 1}}}
		}
		responses[strconv.Itoa(status)] = r
	}
	o["responses"] = responses
	return o
}

func describeResponse(r response) map[string]any {
	out := map[string]any{"description": r.description}
	if r.contentType != "" {
		out["content"] = map[string]any{r.contentType: map[string]any{"schema": r.schema}}
	}
	if len(r.headers) > 0 {
		hs := map[string]any{}
		for name, desc := range r.headers {
			hs[name] = header(desc)
		}
		out["headers"] = hs
	}
	return out
}

func header(desc string) map[string]any {
	return map[string]any{"description": desc, "schema": map[string]any{"type": "string"}}
}

// groupByStatus groups codes by their HTTP status, each group sorted and
// without repeats.
func groupByStatus(codes []detour.Code) map[int][]detour.Code {
	seen := map[detour.Code]bool{}
	out := map[int][]detour.Code{}
	for _, c := range codes {
		if !seen[c] {
			seen[c] = true
			out[statusOf(c)] = append(out[statusOf(c)], c)
		}
	}
	for _, cs := range out {
		sort.Slice(cs, func(i, j int) bool { return cs[i] < cs[j] })
	}
	return out
}

func lowerMethod(m string) string {
	switch m {
	case http.MethodGet:
		return "get"
	case http.MethodPost:
		return "post"
	case http.MethodPut:
		return "put"
	case http.MethodPatch:
		return "patch"
	case http.MethodDelete:
		return "delete"
	}
	return m
}
