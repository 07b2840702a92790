//go:build e2e

package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// alertPost is the JSON docker/alert.sh posts to ALERT_WEBHOOK.
type alertPost struct {
	Text    string `json:"text"`
	Event   string `json:"event"`
	Service string `json:"service"`
	Detail  string `json:"detail"`
	Time    string `json:"time"`
}

// webhook is a loopback HTTP server standing in for a chat/paging webhook.
// The box shares the host's network namespace, so alert.sh reaches it.
type webhook struct {
	url string
	mu  sync.Mutex // guards got
	got []alertPost
}

func newWebhook(t *testing.T) *webhook {
	t.Helper()
	w := &webhook{}
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		var p alertPost
		if err != nil || r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" || json.Unmarshal(body, &p) != nil {
			// Recorded as a bad post so the test sees it.
			p = alertPost{Event: "malformed: " + r.Method + " " + string(body)}
		}
		w.mu.Lock()
		w.got = append(w.got, p)
		w.mu.Unlock()
		rw.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	w.url = srv.URL + "/hook"
	return w
}

func (w *webhook) posts() []alertPost {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]alertPost(nil), w.got...)
}
