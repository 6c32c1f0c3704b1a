package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/detourhq/detour"
)

// Limits of webhook endpoints.
const (
	MaxEndpointsPerTenant = 50
	MaxEndpointURL        = 2048
	MaxEndpointDesc       = 500
	// DefaultRotationOverlap is how long the previous secret stays valid
	// after a rotation unless the request says otherwise.
	DefaultRotationOverlap = 24 * time.Hour
	MaxRotationOverlap     = 7 * 24 * time.Hour
)

// EndpointRequest creates (POST) or changes (PATCH) a webhook endpoint.
// Absent fields are left as they are.
type EndpointRequest struct {
	URL         *string   `json:"url,omitempty"`
	EventTypes  *[]string `json:"event_types,omitempty"`
	Description *string   `json:"description,omitempty"`
	// Enabled (PATCH only) re-enables a disabled endpoint or disables one.
	Enabled *bool `json:"enabled,omitempty"`
	// Secret (POST only) brings one's own "whsec_" secret; by default the
	// server makes one.
	Secret *string `json:"secret,omitempty"`
}

// RotateRequest rotates an endpoint's secret.
type RotateRequest struct {
	// ExpirePreviousIn is how long the previous secret keeps signing
	// (default 24h, at most 7 days; "0s" drops it at once).
	ExpirePreviousIn *detour.Duration `json:"expire_previous_in,omitempty"`
}

// ReplayRequest re-sends an event.
type ReplayRequest struct {
	// EndpointID re-sends to this endpoint only; by default to every
	// enabled endpoint that wants the event.
	EndpointID string `json:"endpoint_id,omitempty"`
}

// Endpoint is a webhook endpoint as the API shows it. Secret is shown only
// when it was just made (create, rotate); GET .../secret shows it later.
type Endpoint struct {
	ID             string           `json:"id"`
	Kind           string           `json:"kind"`
	URL            string           `json:"url,omitempty"`
	Description    string           `json:"description,omitempty"`
	EventTypes     []string         `json:"event_types"`
	Enabled        bool             `json:"enabled"`
	DisabledAt     *time.Time       `json:"disabled_at,omitempty"`
	DisabledReason string           `json:"disabled_reason,omitempty"`
	Failures       int              `json:"failures"`
	FailingSince   *time.Time       `json:"failing_since,omitempty"`
	Secret         string           `json:"secret,omitempty"`
	Secrets        []EndpointSecret `json:"secrets"`
	CreatedAt      time.Time        `json:"created_at"`
	UpdatedAt      time.Time        `json:"updated_at"`
}

// EndpointSecret describes one signing secret without showing it.
type EndpointSecret struct {
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

// EndpointList is every endpoint of the caller.
type EndpointList struct {
	Data []Endpoint `json:"data"`
}

// Delivery is one event on its way to one endpoint, with its tries.
type Delivery struct {
	ID         string        `json:"id"`
	EndpointID string        `json:"endpoint_id"`
	EventID    string        `json:"event_id"`
	Status     string        `json:"status"`
	Tries      int           `json:"tries"`
	NextAt     *time.Time    `json:"next_at,omitempty"`
	LastStatus int           `json:"last_status,omitempty"`
	LastError  string        `json:"last_error,omitempty"`
	CreatedAt  time.Time     `json:"created_at"`
	EndedAt    *time.Time    `json:"ended_at,omitempty"`
	Attempts   []DeliveryTry `json:"attempts"`
}

// DeliveryTry is one try of a delivery: the delivery log.
type DeliveryTry struct {
	N         int       `json:"n"`
	At        time.Time `json:"at"`
	Status    int       `json:"status"`
	LatencyMS float64   `json:"latency_ms"`
	Outcome   string    `json:"outcome"`
	Error     string    `json:"error,omitempty"`
}

// DeliveryList is one page of an endpoint's deliveries, newest first.
type DeliveryList struct {
	Data       []Delivery `json:"data"`
	NextCursor *string    `json:"next_cursor"`
}

// FromEndpoint returns the API form of e at now.
func FromEndpoint(e *detour.WebhookEndpoint, now time.Time) Endpoint {
	out := Endpoint{ID: e.ID, Kind: e.Kind, URL: e.URL, Description: e.Description, EventTypes: e.EventTypes,
		Enabled: !e.Disabled, DisabledReason: e.DisabledReason, Failures: e.Failures,
		CreatedAt: e.CreatedAt.UTC(), UpdatedAt: e.UpdatedAt.UTC(), Secrets: []EndpointSecret{}}
	if out.EventTypes == nil {
		out.EventTypes = []string{}
	}
	out.DisabledAt, out.FailingSince = timePtr(e.DisabledAt), timePtr(e.FailingSince)
	if !e.Disabled {
		out.DisabledReason = ""
	}
	for _, s := range e.Secrets {
		if !s.ExpiresAt.IsZero() && !now.Before(s.ExpiresAt) {
			continue
		}
		out.Secrets = append(out.Secrets, EndpointSecret{CreatedAt: s.CreatedAt.UTC(), ExpiresAt: timePtr(s.ExpiresAt)})
	}
	return out
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// checkEndpoint checks the fields of req that are set.
func (s *Server) checkEndpoint(req *EndpointRequest) error {
	if req.URL != nil {
		if len(*req.URL) > MaxEndpointURL {
			return detour.FieldErrorf(detour.CodeInvalidRequest, "url", "url is at most %d bytes", MaxEndpointURL)
		}
		if err := s.cfg.WebhookURL(*req.URL); err != nil {
			return err
		}
	}
	if req.EventTypes != nil {
		for i, t := range *req.EventTypes {
			if !detour.KnownEventType(t) {
				return detour.FieldErrorf(detour.CodeInvalidRequest, fieldIndex("event_types", i), "unknown event type %q", truncate(t, 64))
			}
		}
	}
	if req.Description != nil && len(*req.Description) > MaxEndpointDesc {
		return detour.FieldErrorf(detour.CodeInvalidRequest, "description", "description is at most %d bytes", MaxEndpointDesc)
	}
	return nil
}

func fieldIndex(name string, i int) string {
	b, _ := json.Marshal(i)
	return name + "[" + string(b) + "]"
}

// createEndpoint serves POST /v1/webhook-endpoints.
func (s *Server) createEndpoint(w http.ResponseWriter, r *http.Request, key *detour.APIKey) error {
	var req EndpointRequest
	if err := s.readJSON(w, r, &req, false); err != nil {
		return err
	}
	if req.URL == nil {
		return detour.FieldErrorf(detour.CodeMissingField, "url", "url is required")
	}
	if req.Enabled != nil {
		return detour.FieldErrorf(detour.CodeInvalidRequest, "enabled", "a new endpoint is enabled; PATCH it to disable it")
	}
	if err := s.checkEndpoint(&req); err != nil {
		return err
	}
	now := s.clock.Now()
	secret := detour.NewWebhookSecret()
	if req.Secret != nil {
		if !s.cfg.WebhookSecretValid(*req.Secret) {
			return detour.FieldErrorf(detour.CodeInvalidRequest, "secret", "secret is \"whsec_\" and the base64 of 24 to 64 bytes")
		}
		secret = detour.Secret(*req.Secret)
	}
	existing, err := s.cfg.Webhooks.Endpoints(r.Context(), key.TenantID)
	if err != nil {
		return err
	}
	if len(existing) >= MaxEndpointsPerTenant {
		return detour.Errorf(detour.CodeInvalidRequest, "a tenant has at most %d webhook endpoints", MaxEndpointsPerTenant)
	}
	e := &detour.WebhookEndpoint{ID: s.ids.New("whe_"), TenantID: key.TenantID, Kind: detour.EndpointURL, URL: *req.URL,
		Secrets: []detour.EndpointSecret{{Secret: secret, CreatedAt: now}}, CreatedAt: now, UpdatedAt: now}
	if req.EventTypes != nil {
		e.EventTypes = slices.Compact(slices.Sorted(slices.Values(*req.EventTypes)))
	}
	if req.Description != nil {
		e.Description = *req.Description
	}
	if err := s.cfg.Webhooks.CreateEndpoint(r.Context(), e); err != nil {
		return err
	}
	out := FromEndpoint(e, now)
	out.Secret = secret.Reveal()
	w.Header().Set("Location", "/v1/webhook-endpoints/"+e.ID)
	writeJSON(w, http.StatusCreated, ctJSON, out)
	return nil
}

// listEndpoints serves GET /v1/webhook-endpoints.
func (s *Server) listEndpoints(w http.ResponseWriter, r *http.Request, key *detour.APIKey) error {
	eps, err := s.cfg.Webhooks.Endpoints(r.Context(), key.TenantID)
	if err != nil {
		return err
	}
	out := EndpointList{Data: make([]Endpoint, len(eps))}
	now := s.clock.Now()
	for i, e := range eps {
		out.Data[i] = FromEndpoint(e, now)
	}
	writeJSON(w, http.StatusOK, ctJSON, out)
	return nil
}

// endpointID returns the {id} path value if it is an endpoint id.
func endpointID(r *http.Request) (string, error) {
	id := r.PathValue("id")
	if !detour.ValidID("whe_", id) {
		return "", detour.ErrNotFound
	}
	return id, nil
}

// getEndpoint serves GET /v1/webhook-endpoints/{id}.
func (s *Server) getEndpoint(w http.ResponseWriter, r *http.Request, key *detour.APIKey) error {
	id, err := endpointID(r)
	if err != nil {
		return err
	}
	e, err := s.cfg.Webhooks.Endpoint(r.Context(), key.TenantID, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ctJSON, FromEndpoint(e, s.clock.Now()))
	return nil
}

// updateEndpoint serves PATCH /v1/webhook-endpoints/{id}.
func (s *Server) updateEndpoint(w http.ResponseWriter, r *http.Request, key *detour.APIKey) error {
	id, err := endpointID(r)
	if err != nil {
		return err
	}
	var req EndpointRequest
	if err := s.readJSON(w, r, &req, false); err != nil {
		return err
	}
	if req.Secret != nil {
		return detour.FieldErrorf(detour.CodeInvalidRequest, "secret", "rotate a secret with POST /v1/webhook-endpoints/{id}/rotate-secret")
	}
	if err := s.checkEndpoint(&req); err != nil {
		return err
	}
	now := s.clock.Now()
	e, err := s.cfg.Webhooks.UpdateEndpoint(r.Context(), key.TenantID, id, func(e *detour.WebhookEndpoint) error {
		if e.Kind == detour.EndpointCallback && (req.URL != nil || req.EventTypes != nil) {
			return detour.Errorf(detour.CodeInvalidRequest, "the callback endpoint has no URL or event types of its own")
		}
		if req.URL != nil {
			e.URL = *req.URL
		}
		if req.EventTypes != nil {
			e.EventTypes = slices.Compact(slices.Sorted(slices.Values(*req.EventTypes)))
		}
		if req.Description != nil {
			e.Description = *req.Description
		}
		switch {
		case req.Enabled == nil:
		case *req.Enabled && e.Disabled:
			e.Disabled, e.DisabledAt, e.DisabledReason = false, time.Time{}, ""
			e.Failures, e.FailingSince = 0, time.Time{}
		case !*req.Enabled && !e.Disabled:
			e.Disabled, e.DisabledAt, e.DisabledReason = true, now, "manual"
		}
		e.UpdatedAt = now
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ctJSON, FromEndpoint(e, now))
	return nil
}

// deleteEndpoint serves DELETE /v1/webhook-endpoints/{id}.
func (s *Server) deleteEndpoint(w http.ResponseWriter, r *http.Request, key *detour.APIKey) error {
	id, err := endpointID(r)
	if err != nil {
		return err
	}
	if err := s.cfg.Webhooks.DeleteEndpoint(r.Context(), key.TenantID, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// getSecret serves GET /v1/webhook-endpoints/{id}/secret.
func (s *Server) getSecret(w http.ResponseWriter, r *http.Request, key *detour.APIKey) error {
	id, err := endpointID(r)
	if err != nil {
		return err
	}
	e, err := s.cfg.Webhooks.Endpoint(r.Context(), key.TenantID, id)
	if err != nil {
		return err
	}
	current := ""
	for _, sec := range e.Secrets {
		if sec.ExpiresAt.IsZero() {
			current = sec.Secret.Reveal()
		}
	}
	writeJSON(w, http.StatusOK, ctJSON, struct {
		Secret string `json:"secret"`
	}{current})
	return nil
}

// rotateSecret serves POST /v1/webhook-endpoints/{id}/rotate-secret.
func (s *Server) rotateSecret(w http.ResponseWriter, r *http.Request, key *detour.APIKey) error {
	id, err := endpointID(r)
	if err != nil {
		return err
	}
	var req RotateRequest
	if err := s.readJSON(w, r, &req, true); err != nil {
		return err
	}
	overlap := DefaultRotationOverlap
	if req.ExpirePreviousIn != nil {
		overlap = req.ExpirePreviousIn.Std()
		if overlap < 0 || overlap > MaxRotationOverlap {
			return detour.FieldErrorf(detour.CodeInvalidRequest, "expire_previous_in", "expire_previous_in is between 0s and 168h")
		}
	}
	now := s.clock.Now()
	secret := detour.NewWebhookSecret()
	e, err := s.cfg.Webhooks.UpdateEndpoint(r.Context(), key.TenantID, id, func(e *detour.WebhookEndpoint) error {
		// The current secret keeps signing for the overlap; older ones
		// stop now: never more than two at once.
		kept := []detour.EndpointSecret{{Secret: secret, CreatedAt: now}}
		for _, old := range e.Secrets {
			if old.ExpiresAt.IsZero() && overlap > 0 {
				old.ExpiresAt = now.Add(overlap)
				kept = append(kept, old)
			}
		}
		e.Secrets, e.UpdatedAt = kept, now
		return nil
	})
	if err != nil {
		return err
	}
	out := FromEndpoint(e, now)
	out.Secret = secret.Reveal()
	writeJSON(w, http.StatusOK, ctJSON, out)
	return nil
}

// listDeliveries serves GET /v1/webhook-endpoints/{id}/deliveries.
func (s *Server) listDeliveries(w http.ResponseWriter, r *http.Request, key *detour.APIKey) error {
	id, err := endpointID(r)
	if err != nil {
		return err
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return detour.Errorf(detour.CodeInvalidRequest, "the query string is malformed")
	}
	f := detour.DeliveryFilter{TenantID: key.TenantID, EndpointID: id, Limit: DefaultListLimit}
	err = eachParam(q, func(name, v string) (err error) {
		switch name {
		case "status":
			if v != detour.DeliveryPending && v != detour.DeliveryDelivered && v != detour.DeliveryFailed {
				err = detour.FieldErrorf(detour.CodeInvalidRequest, name, "status is pending, delivered or failed")
			}
			f.Status = v
		case "event_id":
			if !detour.ValidID("evt_", v) {
				err = detour.FieldErrorf(detour.CodeInvalidRequest, name, "event_id is an event id")
			}
			f.EventID = v
		case "limit":
			f.Limit, err = parseLimit(name, v)
		case "cursor":
			f.Before, err = decodeCursor(v, "whd_")
		default:
			err = unknownParam(name)
		}
		return err
	})
	if err != nil {
		return err
	}
	if _, err := s.cfg.Webhooks.Endpoint(r.Context(), key.TenantID, id); err != nil {
		return err
	}
	page, err := s.cfg.Webhooks.Deliveries(r.Context(), f)
	if err != nil {
		return err
	}
	out := DeliveryList{Data: make([]Delivery, len(page.Deliveries))}
	for i, d := range page.Deliveries {
		out.Data[i] = fromDelivery(d, page.Attempts[d.ID])
	}
	if page.More && len(page.Deliveries) > 0 {
		c := EncodeCursor(page.Deliveries[len(page.Deliveries)-1].ID)
		out.NextCursor = &c
	}
	writeJSON(w, http.StatusOK, ctJSON, out)
	return nil
}

func fromDelivery(d *detour.WebhookDelivery, tries []detour.DeliveryAttempt) Delivery {
	out := Delivery{ID: d.ID, EndpointID: d.EndpointID, EventID: d.EventID, Status: d.Status, Tries: d.Tries,
		LastStatus: d.LastStatus, LastError: d.LastError, CreatedAt: d.CreatedAt.UTC(), EndedAt: timePtr(d.EndedAt),
		Attempts: make([]DeliveryTry, len(tries))}
	if d.Status == detour.DeliveryPending {
		out.NextAt = timePtr(d.NextAt)
	}
	for i, a := range tries {
		out.Attempts[i] = DeliveryTry{N: a.N, At: a.At.UTC(), Status: a.Status,
			LatencyMS: float64(a.Latency.Microseconds()) / 1000, Outcome: a.Outcome, Error: a.Error}
	}
	return out
}

// getEvent serves GET /v1/events/{id}.
func (s *Server) getEvent(w http.ResponseWriter, r *http.Request, key *detour.APIKey) error {
	id := r.PathValue("id")
	if !detour.ValidID("evt_", id) || s.cfg.Events == nil {
		return detour.ErrNotFound
	}
	ev, err := s.cfg.Events.Event(r.Context(), key.TenantID, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ctJSON, fromEvent(ev))
	return nil
}

// replayEvent serves POST /v1/events/{id}/replay.
func (s *Server) replayEvent(w http.ResponseWriter, r *http.Request, key *detour.APIKey) error {
	id := r.PathValue("id")
	if !detour.ValidID("evt_", id) {
		return detour.ErrNotFound
	}
	var req ReplayRequest
	if err := s.readJSON(w, r, &req, true); err != nil {
		return err
	}
	if req.EndpointID != "" && !detour.ValidID("whe_", req.EndpointID) {
		return detour.FieldErrorf(detour.CodeInvalidRequest, "endpoint_id", "endpoint_id is a webhook endpoint id")
	}
	ds, err := s.cfg.Webhooks.Replay(r.Context(), key.TenantID, id, req.EndpointID, s.clock.Now())
	if err != nil {
		return err
	}
	out := DeliveryList{Data: make([]Delivery, len(ds))}
	for i, d := range ds {
		out.Data[i] = fromDelivery(d, nil)
	}
	writeJSON(w, http.StatusAccepted, ctJSON, out)
	return nil
}

// noWebhooks is the webhook store of a server without one: nothing exists.
type noWebhooks struct{}

func (noWebhooks) CreateEndpoint(context.Context, *detour.WebhookEndpoint) error {
	return detour.Errorf(detour.CodeUnavailable, "webhooks are not configured")
}
func (noWebhooks) Endpoint(context.Context, string, string) (*detour.WebhookEndpoint, error) {
	return nil, detour.ErrNotFound
}
func (noWebhooks) Endpoints(context.Context, string) ([]*detour.WebhookEndpoint, error) {
	return nil, nil
}
func (noWebhooks) UpdateEndpoint(context.Context, string, string, func(*detour.WebhookEndpoint) error) (*detour.WebhookEndpoint, error) {
	return nil, detour.ErrNotFound
}
func (noWebhooks) DeleteEndpoint(context.Context, string, string) error { return detour.ErrNotFound }
func (noWebhooks) DueDeliveries(context.Context, time.Time, time.Duration, int) ([]*detour.WebhookDelivery, map[string]*detour.WebhookEndpoint, error) {
	return nil, nil, nil
}
func (noWebhooks) NextDelivery(context.Context) (time.Time, bool, error) {
	return time.Time{}, false, nil
}
func (noWebhooks) RecordDeliveries(context.Context, []detour.DeliveryResult) error { return nil }
func (noWebhooks) Deliveries(context.Context, detour.DeliveryFilter) (detour.DeliveryPage, error) {
	return detour.DeliveryPage{}, nil
}
func (noWebhooks) Replay(context.Context, string, string, string, time.Time) ([]*detour.WebhookDelivery, error) {
	return nil, detour.ErrNotFound
}
