package detour

// Part is one segment of a message that a channel split (a long SMS sent
// as several submit_sm), with its own provider id and receipt status.
type Part struct {
	ProviderID string        `json:"id"`
	Status     AttemptStatus `json:"status"`
}

// PartReceipt records a receipt for the part with the given provider id of
// a multipart attempt and returns what the whole attempt reached: delivered
// (or read) once every part has, failed or expired as soon as one part has,
// "" while parts are still outstanding. known is false if no part has that
// id. Part statuses only move forward, like attempts.
func (a *Attempt) PartReceipt(providerID string, st AttemptStatus) (whole AttemptStatus, known bool) {
	for i := range a.Parts {
		p := &a.Parts[i]
		if p.ProviderID != providerID {
			continue
		}
		known = true
		if CanAttemptTransition(p.Status, st) {
			p.Status = st
		}
	}
	if !known {
		return "", false
	}
	lowest := AttemptRead
	for _, p := range a.Parts {
		switch p.Status {
		case AttemptFailed, AttemptExpired:
			return p.Status, true
		}
		if p.Status.rank() < lowest.rank() {
			lowest = p.Status
		}
	}
	if lowest == AttemptDelivered || lowest == AttemptRead {
		return lowest, true
	}
	return "", true
}
