package client_test

import (
	"context"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/detourhq/detour"
	"github.com/detourhq/detour/api"
)

// memService is a tiny in-memory detour.MessageService for tests and
// examples: it validates the recipient and the content, stores messages
// and honours idempotency keys.
type memService struct {
	mu   sync.Mutex
	ids  *detour.IDSource
	msgs []*detour.Message // oldest first
	idem map[string]*detour.Message
}

func (s *memService) SendMessage(ctx context.Context, tenant string, req *detour.SendRequest, idem *detour.Idempotency) (*detour.Message, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if idem != nil {
		if m, ok := s.idem[idem.Key]; ok {
			return m.Clone(), true, nil
		}
	}
	if _, _, err := detour.ParseE164(req.To); err != nil {
		return nil, false, err
	}
	if err := req.Content.Validate(); err != nil {
		return nil, false, err
	}
	now := time.Now().UTC()
	m := &detour.Message{ID: s.ids.New("msg_"), TenantID: tenant, To: req.To, Content: req.Content,
		Steps: []detour.Step{{Channel: "sandbox"}}, Priority: detour.PriorityNormal, ClientRef: req.ClientRef,
		Status: detour.StatusQueued, CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(24 * time.Hour)}
	s.msgs = append(s.msgs, m)
	if idem != nil {
		s.idem[idem.Key] = m
	}
	return m.Clone(), false, nil
}

func (s *memService) find(tenant, id string) (*detour.Message, error) {
	for _, m := range s.msgs {
		if m.ID == id && m.TenantID == tenant {
			return m, nil
		}
	}
	return nil, detour.ErrNotFound
}

func (s *memService) Message(ctx context.Context, tenant, id string) (*detour.Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, err := s.find(tenant, id)
	if err != nil {
		return nil, err
	}
	return m.Clone(), nil
}

func (s *memService) Messages(ctx context.Context, f detour.MessageFilter) (detour.MessagePage, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var p detour.MessagePage
	for i := len(s.msgs) - 1; i >= 0; i-- {
		m := s.msgs[i]
		if m.TenantID != f.TenantID || (f.Before != "" && m.ID >= f.Before) || (f.Status != "" && m.Status != f.Status) {
			continue
		}
		if len(p.Messages) == f.Limit {
			p.More = true
			break
		}
		p.Messages = append(p.Messages, m.Clone())
	}
	return p, nil
}

func (s *memService) CancelMessage(ctx context.Context, tenant, id string) (*detour.Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, err := s.find(tenant, id)
	if err != nil {
		return nil, err
	}
	if m.Status.Final() {
		return nil, detour.Errorf(detour.CodeNotCancelable, "the message is already %s", m.Status)
	}
	m.Fail(detour.StatusCanceled, detour.ReasonCanceled, "canceled by the API caller", time.Now())
	return m.Clone(), nil
}

// memKeys is an in-memory detour.KeyStore.
type memKeys struct{ keys map[string]*detour.APIKey }

func (k *memKeys) CreateAPIKey(ctx context.Context, tenant string, key *detour.APIKey) error {
	key.TenantID, key.TenantName = "ten_"+tenant, tenant
	k.keys[key.ID] = key
	return nil
}

func (k *memKeys) APIKey(ctx context.Context, id string) (*detour.APIKey, error) {
	if key, ok := k.keys[id]; ok {
		c := *key
		return &c, nil
	}
	return nil, detour.ErrNotFound
}

// newTestServer starts the real API handler over memService and returns
// it with an API key of tenant "acme".
func newTestServer() (*httptest.Server, string) {
	ids := detour.NewIDSource(time.Now, nil)
	keys := &memKeys{keys: map[string]*detour.APIKey{}}
	plain, k := detour.NewAPIKey(ids, time.Now())
	_ = keys.CreateAPIKey(context.Background(), "acme", k)
	h, err := api.New(api.Config{Messages: &memService{ids: ids, idem: map[string]*detour.Message{}}, Keys: keys})
	if err != nil {
		panic(err)
	}
	return httptest.NewServer(h), plain
}
