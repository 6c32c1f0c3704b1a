package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/detourhq/detour"
	"github.com/detourhq/detour/sqlite"
)

// ours drives the purpose-built queue in package sqlite: a message's one
// pending timer is a row of the timers table beside its messages row;
// CreateMessage writes both in one group-committed transaction, Claim
// leases due timers in batches and saves the attempt the callback adds in
// the same transaction, and UpdateMessage records the outcome and deletes
// the timer. Like dispatch.Engine, the claim loop
// is woken in process after each accept and whenever a send slot frees.
type ours struct {
	cfg  config
	db   *sqlite.DB
	ids  *detour.IDSource
	wake chan struct{}

	fail   func(error)
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func openOurs(ctx context.Context, dir string, cfg config) (system, error) {
	db, err := sqlite.Open(ctx, dir, sqlite.Options{})
	if err != nil {
		return nil, err
	}
	return &ours{cfg: cfg, db: db, ids: detour.NewIDSource(time.Now, nil), wake: make(chan struct{}, 1)}, nil
}

func (s *ours) notify() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *ours) Accept(ctx context.Context, m *detour.Message) error {
	if _, _, err := s.db.CreateMessage(ctx, m, nil); err != nil {
		return err
	}
	s.notify()
	return nil
}

func (s *ours) Start(ctx context.Context, done func(id string), fail func(error)) error {
	ctx, s.cancel = context.WithCancel(ctx)
	s.fail = fail
	s.wg.Go(func() { s.loop(ctx, done) })
	return nil
}

const (
	oursLease      = 30 * time.Second
	oursClaimBatch = 256
	oursPoll       = time.Second
)

// loop claims due timers while send slots are free, as dispatch.Engine does.
func (s *ours) loop(ctx context.Context, done func(id string)) {
	slots := make(chan struct{}, s.cfg.Workers)
	for ctx.Err() == nil {
		free := s.cfg.Workers - len(slots)
		full := false
		if free > 0 {
			limit := min(free, oursClaimBatch)
			now := time.Now()
			msgs, err := s.db.Claim(ctx, detour.ClaimRequest{Owner: "bench", Now: now, Lease: oursLease, Limit: limit},
				func(m *detour.Message) error {
					m.Attempts = append(m.Attempts, &detour.Attempt{
						ID: s.ids.New("att_"), MessageID: m.ID, Step: m.Step, Channel: m.Steps[m.Step].Channel,
						Status: detour.AttemptPending, CreatedAt: now, UpdatedAt: now,
					})
					m.SetStatus(detour.StatusSending, now)
					return nil
				})
			if err != nil {
				if ctx.Err() == nil {
					s.fail(fmt.Errorf("claim: %w", err))
				}
				return
			}
			for _, m := range msgs {
				slots <- struct{}{}
				s.wg.Go(func() {
					defer func() { <-slots; s.notify() }()
					s.send(ctx, m, done)
				})
			}
			full = len(msgs) == limit
		}
		if full {
			continue
		}
		t := time.NewTimer(oursPoll)
		select {
		case <-ctx.Done():
		case <-s.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

func (s *ours) send(ctx context.Context, claimed *detour.Message, done func(id string)) {
	if err := sleep(ctx, s.cfg.SendLatency); err != nil {
		return
	}
	attemptID := claimed.Attempts[len(claimed.Attempts)-1].ID
	err := s.db.UpdateMessage(ctx, claimed.ID, func(m *detour.Message) error {
		now := time.Now()
		if a := m.Attempt(attemptID); a != nil {
			a.ProviderID = "sandbox-" + m.ID
			a.SetStatus(detour.AttemptSent, now)
		}
		m.SetStatus(detour.StatusSent, now)
		m.Timer = nil
		return nil
	})
	if err != nil {
		if ctx.Err() == nil {
			s.fail(fmt.Errorf("update %s: %w", claimed.ID, err))
		}
		return
	}
	done(claimed.ID)
}

func (s *ours) Verify(ctx context.Context, ids []string) error {
	if at, ok, err := s.db.NextDue(ctx); err != nil || ok {
		return errors.Join(err, fmt.Errorf("a timer is still due at %s", at))
	}
	for _, id := range ids {
		m, err := s.db.Message(ctx, "ten_bench", id)
		if err != nil {
			return fmt.Errorf("message %s: %w", id, err)
		}
		if m.Status != detour.StatusSent || len(m.Attempts) != 1 || m.Attempts[0].Status != detour.AttemptSent {
			return fmt.Errorf("message %s: status %s with %d attempts", id, m.Status, len(m.Attempts))
		}
	}
	return nil
}

func (s *ours) Close() error {
	if s.cancel != nil {
		s.cancel()
	}
	s.wg.Wait()
	return s.db.Close()
}
