// Package drill replays an outage on the simulated world and measures
// what Detour made of it: the WhatsApp outage of 25 October 2022, when
// WhatsApp first accepted messages and never delivered them, then failed
// outright, then came back. Steady OTP traffic with the policy WhatsApp,
// then SMS, runs through it while one of the two SMS routes throttles.
package drill

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/detourhq/detour"
	"github.com/detourhq/detour/api"
	"github.com/detourhq/detour/client"
	"github.com/detourhq/detour/config"
	"github.com/detourhq/detour/health"
	"github.com/detourhq/detour/server"
	"github.com/detourhq/detour/simworld"
)

// Phase names, in order.
const (
	Before = "before" // every simulator healthy
	Silent = "silent" // WhatsApp accepts and never delivers; smsc-1 throttles
	Down   = "down"   // WhatsApp answers every send with HTTP 500; smsc-1 throttles
	After  = "after"  // everything healthy again
)

// Phases lists the phases in order.
var Phases = []string{Before, Silent, Down, After}

// Options shape a drill. Zero fields take the defaults of
// DefaultOptions.
type Options struct {
	Rate          float64       // messages accepted per second, steady
	Before        time.Duration // how long each phase lasts
	Silent        time.Duration
	Down          time.Duration
	After         time.Duration
	FallbackAfter time.Duration // the policy's wait for WhatsApp's delivery receipt
	Validity      time.Duration // each OTP's validity
	// Tune changes the node's configuration before it starts (the demo
	// shortens the detector's probe cool-offs).
	Tune func(*config.Config)
	// Progress hears of each phase as it begins; nil: silence.
	Progress io.Writer
	// Dir is the node's data directory; "" makes (and removes) a
	// temporary one.
	Dir string
}

// DefaultOptions returns the drill of `detour drill whatsapp-outage`:
// about two and a half minutes at 10 messages a second.
func DefaultOptions() Options {
	return Options{Rate: 10, Before: 20 * time.Second, Silent: 45 * time.Second, Down: 30 * time.Second,
		After: 50 * time.Second, FallbackAfter: 10 * time.Second, Validity: 10 * time.Minute}
}

// Report is what the drill measured. Times to deliver run from when Detour
// accepted a message to when its handset showed it.
type Report struct {
	Sent       int `json:"sent"`       // messages accepted
	Delivered  int `json:"delivered"`  // on their handset within validity
	Lost       int `json:"lost"`       // accepted and never on their handset within validity
	Duplicates int `json:"duplicates"` // handsets that got their message twice

	// Seconds from the switch of WhatsApp's mode until the detector had
	// the WhatsApp route down (silent, hard: 0 when it already was) or
	// healthy again (recover). null: never seen.
	SilentDetectS  *float64 `json:"silent_detect_s"`
	HardDetectS    *float64 `json:"hard_detect_s"`
	RecoverDetectS *float64 `json:"recover_detect_s"`
	// HardAlreadyDown says WhatsApp was already down (from the silent
	// outage) when it started failing outright; HardSeenS is then when a
	// probe first met a hard failure.
	HardAlreadyDown bool     `json:"hard_already_down"`
	HardSeenS       *float64 `json:"hard_seen_s"`
	// LostIDs names up to 20 lost messages, to look into.
	LostIDs      []string                `json:"lost_ids,omitempty"`
	LostMessages map[string]*api.Message `json:"-"`

	P50DeliverS map[string]float64 `json:"p50_deliver_s"` // by phase of sending
	P99DeliverS map[string]float64 `json:"p99_deliver_s"`
	// P99DetectedS is the p99 time to deliver of the messages sent while
	// the outage was known: from its detection to the recovery's.
	P99DetectedS *float64       `json:"p99_deliver_detected_s"`
	MaxDeliverS  float64        `json:"max_deliver_s"`
	ByChannel    map[string]int `json:"by_channel"` // the channel that reached the handset first
	// ByPhaseChannel splits ByChannel by phase of sending.
	ByPhaseChannel map[string]map[string]int `json:"by_phase_channel"`
	SentByPhase    map[string]int            `json:"sent_by_phase"`
	Rate           float64                   `json:"rate"`
	PhaseS         map[string]float64        `json:"phase_s"`
	FallbackS      float64                   `json:"fallback_after_s"`
	// Targets says which of the drill's targets held.
	Targets map[string]bool `json:"targets"`
	// Samples shows one message of each phase as its phone and the API
	// saw it: the first that fell back to SMS, else the first sent.
	Samples map[string]Sample `json:"-"`
	// Transitions are the WhatsApp route's health changes, oldest first.
	Transitions []health.Transition `json:"-"`
}

// Sample is one message of a drill, with its attempt trail and what its
// phone received.
type Sample struct {
	Message  *api.Message
	Handset  []simworld.Received
	Accepted time.Time
}

// sent is one message of the drill.
type sent struct {
	phase    string
	to       string
	id       string
	accepted time.Time
}

// Run runs a drill. ctx ends it early.
func Run(ctx context.Context, o Options) (*Report, error) {
	d := DefaultOptions()
	if o.Rate <= 0 {
		o.Rate = d.Rate
	}
	for _, p := range []*time.Duration{&o.Before, &o.Silent, &o.Down, &o.After, &o.FallbackAfter, &o.Validity} {
		if *p < 0 {
			return nil, errors.New("drill: durations must not be negative")
		}
	}
	if o.Before == 0 {
		o.Before = d.Before
	}
	if o.Silent == 0 {
		o.Silent = d.Silent
	}
	if o.Down == 0 {
		o.Down = d.Down
	}
	if o.After == 0 {
		o.After = d.After
	}
	if o.FallbackAfter == 0 {
		o.FallbackAfter = d.FallbackAfter
	}
	if o.Validity == 0 {
		o.Validity = d.Validity
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	dir := o.Dir
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "detour-drill-"); err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
	}
	cfg, err := config.Load("", nil, map[string]any{"server.addr": "127.0.0.1:0", "server.data": dir})
	if err != nil {
		return nil, err
	}
	cfg.Server.RateLimit, cfg.Server.RateBurst = 1e6, 1e6
	if o.Tune != nil {
		o.Tune(&cfg)
	}
	node, err := simworld.StartNode(ctx, cfg, server.Options{}, simworld.Config{FallbackAfter: o.FallbackAfter})
	if err != nil {
		return nil, err
	}
	defer node.Stop(context.Background())
	key, _, err := server.CreateKey(ctx, node.Server.Store(), "drill", time.Now())
	if err != nil {
		return nil, err
	}
	c := client.New(node.URL(), key)
	r := &run{o: o, node: node, c: c}
	return r.run(ctx)
}

// run is one drill in progress.
type run struct {
	o    Options
	node *simworld.Node
	c    *client.Client

	mu       sync.Mutex
	msgs     []*sent
	sendErrs int
	firstErr error
	phase    string

	switched map[string]time.Time // when each phase began
	seen     watch
}

// watch is what the health poller saw of the WhatsApp route.
type watch struct {
	mu                              sync.Mutex
	down, hardDown, hard, recovered time.Time
	downAtHard                      bool
}

func (r *run) run(ctx context.Context) (*Report, error) {
	r.switched = map[string]time.Time{}
	wa := health.Key{Channel: "whatsapp", Route: simworld.WhatsAppRoute}
	pollCtx, stopPoll := context.WithCancel(ctx)
	var bg sync.WaitGroup
	bg.Add(2)
	go func() { defer bg.Done(); r.poll(pollCtx, wa) }()
	sendCtx, stopSend := context.WithCancel(ctx)
	go func() { defer bg.Done(); r.send(sendCtx) }()
	defer func() { stopSend(); stopPoll(); bg.Wait() }()

	schedule := []struct {
		phase string
		last  time.Duration
		modes map[string]simworld.Mode
	}{
		{Before, r.o.Before, nil},
		{Silent, r.o.Silent, map[string]simworld.Mode{simworld.WhatsApp: simworld.Silent, simworld.SMSC1: simworld.Throttled}},
		{Down, r.o.Down, map[string]simworld.Mode{simworld.WhatsApp: simworld.Down}},
		{After, r.o.After, map[string]simworld.Mode{simworld.WhatsApp: simworld.Healthy, simworld.SMSC1: simworld.Healthy}},
	}
	for _, s := range schedule {
		for _, name := range []string{simworld.WhatsApp, simworld.SMSC1} {
			if m, ok := s.modes[name]; ok {
				if err := r.node.World.SetMode(name, m); err != nil {
					return nil, err
				}
			}
		}
		now := time.Now()
		r.mu.Lock()
		r.phase = s.phase
		r.switched[s.phase] = now
		r.mu.Unlock()
		if s.phase == Down {
			r.seen.mu.Lock()
			if r.seen.downAtHard = !r.seen.down.IsZero(); r.seen.downAtHard {
				r.seen.hardDown = now // already down when it failed outright
			}
			r.seen.mu.Unlock()
		}
		fmt.Fprintf(r.o.Progress, "%s  %-6s for %s: %s\n", now.Format("15:04:05"), s.phase, s.last, describe(s.phase))
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(s.last):
		}
	}
	stopSend()
	fmt.Fprintf(r.o.Progress, "%s  waiting for the last messages to reach their phones\n", time.Now().Format("15:04:05"))
	if err := r.drain(ctx); err != nil {
		return nil, err
	}
	return r.report(ctx)
}

func describe(phase string) string {
	switch phase {
	case Before:
		return "WhatsApp and both SMSCs healthy"
	case Silent:
		return "WhatsApp accepts and never delivers; smsc-1 throttles"
	case Down:
		return "WhatsApp answers every send with HTTP 500; smsc-1 throttles"
	}
	return "everything healthy again"
}

// send accepts messages at the drill's rate until ctx ends, each to its
// own phone with its own code.
func (r *run) send(ctx context.Context) {
	interval := time.Duration(float64(time.Second) / r.o.Rate)
	tick := time.NewTicker(interval)
	defer tick.Stop()
	var inflight sync.WaitGroup
	defer inflight.Wait()
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		r.mu.Lock()
		phase := r.phase
		r.mu.Unlock()
		inflight.Add(1)
		go func() {
			defer inflight.Done()
			to := fmt.Sprintf("+447401%06d", i)
			code := fmt.Sprintf("%06d", (i*104729+7919)%1000000)
			m, err := r.c.Send(context.WithoutCancel(ctx), &detour.SendRequest{To: to, Priority: detour.PriorityOTP,
				Validity: detour.Duration(r.o.Validity), Content: detour.Content{Text: "Your Detour code is " + code,
					Template: &detour.Template{Name: "otp_code", Language: "en", Params: []string{code}}}}, "")
			at := time.Now()
			r.mu.Lock()
			defer r.mu.Unlock()
			if err != nil {
				if r.sendErrs++; r.firstErr == nil {
					r.firstErr = err
					fmt.Fprintf(r.o.Progress, "a message was refused: %v\n", err)
				}
				return
			}
			r.msgs = append(r.msgs, &sent{phase: phase, to: to, id: m.ID, accepted: at})
		}()
	}
}

// poll watches the WhatsApp route's health through GET /v1/channels.
func (r *run) poll(ctx context.Context, k health.Key) {
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		l, err := r.c.Channels(ctx)
		if err != nil {
			continue
		}
		now := time.Now()
		r.mu.Lock()
		silentAt, downAt, afterAt := r.switched[Silent], r.switched[Down], r.switched[After]
		r.mu.Unlock()
		for _, ch := range l.Data {
			for _, rt := range ch.Routes {
				if ch.Channel != k.Channel || rt.Route != k.Route {
					continue
				}
				r.seen.mu.Lock()
				if !silentAt.IsZero() && r.seen.down.IsZero() && rt.State == health.Down {
					r.seen.down = now
				}
				if !downAt.IsZero() && r.seen.hardDown.IsZero() && rt.State == health.Down {
					r.seen.hardDown = now
				}
				if !downAt.IsZero() && r.seen.hard.IsZero() && rt.State == health.Down &&
					(rt.Figures.ConsecutiveHard > 0 || rt.Reason == health.ReasonHardErrors) {
					r.seen.hard = now
				}
				if !afterAt.IsZero() && r.seen.recovered.IsZero() && rt.State == health.Healthy {
					r.seen.recovered = now
				}
				r.seen.mu.Unlock()
			}
		}
	}
}

// drain waits until every accepted message is final, or for as long as a
// message could still take (two fallback windows and a margin).
func (r *run) drain(ctx context.Context) error {
	deadline := time.Now().Add(2*r.o.FallbackAfter + 30*time.Second)
	for {
		r.mu.Lock()
		msgs := slices.Clone(r.msgs)
		r.mu.Unlock()
		pending := 0
		for _, m := range msgs {
			got, err := r.c.Message(ctx, m.id)
			if err != nil {
				return err
			}
			if !detour.Status(got.Status).Final() && !detour.Status(got.Status).Delivered() {
				pending++
			}
		}
		if pending == 0 || time.Now().After(deadline) {
			// Receipts and handsets lag a little behind the statuses.
			time.Sleep(time.Second)
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// report works out the figures from the handsets and the messages.
func (r *run) report(ctx context.Context) (*Report, error) {
	rep := &Report{P50DeliverS: map[string]float64{}, P99DeliverS: map[string]float64{}, ByChannel: map[string]int{},
		ByPhaseChannel: map[string]map[string]int{},
		SentByPhase:    map[string]int{}, Rate: r.o.Rate, FallbackS: r.o.FallbackAfter.Seconds(),
		PhaseS: map[string]float64{Before: r.o.Before.Seconds(), Silent: r.o.Silent.Seconds(), Down: r.o.Down.Seconds(), After: r.o.After.Seconds()}}
	r.mu.Lock()
	msgs := slices.Clone(r.msgs)
	silentAt, downAt, afterAt := r.switched[Silent], r.switched[Down], r.switched[After]
	r.mu.Unlock()
	r.seen.mu.Lock()
	seen := watch{down: r.seen.down, hardDown: r.seen.hardDown, hard: r.seen.hard, recovered: r.seen.recovered, downAtHard: r.seen.downAtHard}
	r.seen.mu.Unlock()
	since := func(t, from time.Time) *float64 {
		if t.IsZero() || from.IsZero() {
			return nil
		}
		s := max(t.Sub(from).Seconds(), 0)
		return &s
	}
	rep.SilentDetectS, rep.HardDetectS, rep.RecoverDetectS = since(seen.down, silentAt), since(seen.hardDown, downAt), since(seen.recovered, afterAt)
	rep.HardAlreadyDown, rep.HardSeenS = seen.downAtHard, since(seen.hard, downAt)

	byPhase := map[string][]time.Duration{}
	var detected []time.Duration
	for _, m := range msgs {
		rep.Sent++
		rep.SentByPhase[m.phase]++
		got := r.node.World.Handset(m.to)
		if len(got) == 0 {
			rep.Lost++
			if len(rep.LostIDs) < 20 {
				rep.LostIDs = append(rep.LostIDs, m.id)
				if rep.LostMessages == nil {
					rep.LostMessages = map[string]*api.Message{}
				}
				rep.LostMessages[m.id], _ = r.c.Message(ctx, m.id)
			}
			continue
		}
		if len(got) > 1 {
			rep.Duplicates++
		}
		first := got[0]
		took := first.At.Sub(m.accepted)
		if took > r.o.Validity {
			rep.Lost++
			continue
		}
		took = max(took, 0)
		rep.Delivered++
		rep.ByChannel[first.Channel]++
		if rep.ByPhaseChannel[m.phase] == nil {
			rep.ByPhaseChannel[m.phase] = map[string]int{}
		}
		rep.ByPhaseChannel[m.phase][first.Channel]++
		byPhase[m.phase] = append(byPhase[m.phase], took)
		rep.MaxDeliverS = max(rep.MaxDeliverS, took.Seconds())
		if !seen.down.IsZero() && m.accepted.After(seen.down) && (seen.recovered.IsZero() || m.accepted.Before(seen.recovered)) {
			detected = append(detected, took)
		}
	}
	rep.Samples = r.samples(ctx, msgs)
	if l, err := r.c.Channels(ctx); err == nil {
		for _, ch := range l.Data {
			for _, rt := range ch.Routes {
				if ch.Channel == "whatsapp" {
					rep.Transitions = append(rep.Transitions, rt.Transitions...)
				}
			}
		}
	}
	for _, p := range Phases {
		rep.P50DeliverS[p] = pct(byPhase[p], 0.50)
		rep.P99DeliverS[p] = pct(byPhase[p], 0.99)
	}
	if len(detected) > 0 {
		v := pct(detected, 0.99)
		rep.P99DetectedS = &v
	}
	within := func(p *float64, limit float64) bool { return p != nil && *p <= limit }
	rep.Targets = map[string]bool{
		"lost_0":                          rep.Lost == 0 && r.sendErrs == 0,
		"all_within_validity":             rep.Delivered == rep.Sent,
		"silent_detect_within_30s":        within(rep.SilentDetectS, 30),
		"hard_detect_within_2s":           within(rep.HardDetectS, 2),
		"p99_deliver_once_detected_le_2s": within(rep.P99DetectedS, 2),
	}
	return rep, nil
}

// samples picks one message per phase: the first that went by SMS after
// trying WhatsApp, else the first.
func (r *run) samples(ctx context.Context, msgs []*sent) map[string]Sample {
	out := map[string]Sample{}
	for _, p := range Phases {
		var pick *sent
		var pickMsg *api.Message
		for _, m := range msgs {
			if m.phase != p {
				continue
			}
			got, err := r.c.Message(ctx, m.id)
			if err != nil {
				continue
			}
			if pick == nil {
				pick, pickMsg = m, got
			}
			if got.Channel == "sms" && len(got.Attempts) > 1 {
				pick, pickMsg = m, got
				break
			}
			if p == Before || p == After {
				break
			}
		}
		if pick != nil {
			out[p] = Sample{Message: pickMsg, Handset: r.node.World.Handset(pick.to), Accepted: pick.accepted}
		}
	}
	return out
}

// Passed reports whether every target held.
func (rep *Report) Passed() bool {
	for _, ok := range rep.Targets {
		if !ok {
			return false
		}
	}
	return true
}

func pct(ds []time.Duration, q float64) float64 {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[int(q*float64(len(s)-1))].Seconds()
}
