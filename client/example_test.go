package client_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/detourhq/detour"
	"github.com/detourhq/detour/client"
)

// Send a one-time password, then read the message back.
func Example() {
	srv, key := newTestServer() // a Detour API over an in-memory service
	defer srv.Close()
	ctx := context.Background()

	c := client.New(srv.URL, key)
	m, err := c.Send(ctx, &detour.SendRequest{
		To:       "+447400123456",
		Content:  detour.Content{Text: "Your code is 123456"},
		Priority: detour.PriorityOTP,
	}, "login-7f3a-otp")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(m.Status, m.To)

	got, err := c.Message(ctx, m.ID)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(got.ID == m.ID, len(got.Attempts))
	// Output:
	// queued +447400123456
	// true 0
}

// Errors from the server are *client.Error values with the problem's code
// and the field at fault.
func ExampleError() {
	srv, key := newTestServer()
	defer srv.Close()

	c := client.New(srv.URL, key)
	_, err := c.Send(context.Background(), &detour.SendRequest{
		To:      "07400 123456", // not E.164
		Content: detour.Content{Text: "hello"},
	}, "")
	var ce *client.Error
	if errors.As(err, &ce) {
		fmt.Println(ce.Status, ce.Problem.Code, ce.Problem.Field)
	}
	// Output:
	// 422 invalid_recipient to
}

// List every queued message, a page at a time.
func ExampleClient_Messages() {
	srv, key := newTestServer()
	defer srv.Close()
	ctx := context.Background()

	c := client.New(srv.URL, key)
	for i := 0; i < 5; i++ {
		req := &detour.SendRequest{To: "+447400123456", Content: detour.Content{Text: fmt.Sprint("message ", i)}}
		if _, err := c.Send(ctx, req, ""); err != nil {
			fmt.Println(err)
			return
		}
	}
	opts := client.ListOptions{Status: "queued", Limit: 2}
	for page := 1; ; page++ {
		l, err := c.Messages(ctx, opts)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("page %d: %d messages\n", page, len(l.Data))
		if l.NextCursor == nil {
			break
		}
		opts.Cursor = *l.NextCursor
	}
	// Output:
	// page 1: 2 messages
	// page 2: 2 messages
	// page 3: 1 messages
}

// Cancel a message before it is sent.
func ExampleClient_Cancel() {
	srv, key := newTestServer()
	defer srv.Close()
	ctx := context.Background()

	c := client.New(srv.URL, key)
	m, _ := c.Send(ctx, &detour.SendRequest{To: "+447400123456", Content: detour.Content{Text: "later"}}, "")
	m, err := c.Cancel(ctx, m.ID)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(m.Status, m.Error.Code)

	_, err = c.Cancel(ctx, m.ID)
	fmt.Println(err)
	// Output:
	// canceled canceled
	// detour: 409 not_cancelable: the message is already canceled
}
