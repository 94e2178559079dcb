package wsman_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/internal/workload"
	"github.com/gowbem/gowbem/wbem"
	"github.com/gowbem/gowbem/wsman"
)

// gowbem's client reads a Pull of 10,000 workload instances (about 130,000
// XML elements, past wsman.MaxElements): the elements a response may hold
// grow with the MaxElements the client asked for (issue 20).
func TestClientReadsLargePulls(t *testing.T) {
	const n = 20_000
	e := newEnv(t, &workload.Provider{N: n}, wsman.Options{})
	svc := e.connect(t, testUser, testPass, "maxelements=10000&maxenvelopesize=67108864")
	if got, _ := drain(t, svc); got != n {
		t.Fatalf("got %d instances, want %d", got, n)
	}
}

// The limit is the client's: MaxElements for any response, and
// ItemElements more per item asked for in a Pull, within what
// MaxEnvelopeSize can hold. A response at the limit is read; one element
// past it is refused with WBEM_E_INVALID_PARAMETER naming the limit.
func TestClientElementLimit(t *testing.T) {
	for _, tc := range []struct {
		name     string
		batch    int
		envelope int
		limit    int
	}{
		{name: "Pull of 1", batch: 1, envelope: 64 << 20, limit: wsman.MaxElements + wsman.ItemElements},
		{name: "Pull of 10000", batch: 10000, envelope: 64 << 20, limit: wsman.MaxElements + 10000*wsman.ItemElements},
		// 512000 bytes hold at most 128,000 elements.
		{name: "Pull of 10000 in a small envelope", batch: 10000, envelope: 512000, limit: 128000},
	} {
		for _, extra := range []int{0, 1} {
			t.Run(fmt.Sprintf("%s, %+d", tc.name, extra), func(t *testing.T) {
				e := newEnv(t, &workload.Provider{N: 10}, wsman.Options{})
				// A server whose Enumerate and Pull responses hold exactly
				// limit+extra elements: the real one's, padded with empty
				// elements in their header.
				h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					rec := httptest.NewRecorder()
					e.srv.ServeHTTP(rec, r)
					body := rec.Body.String()
					if strings.Contains(body, "PullResponse>") || strings.Contains(body, "EnumerateResponse>") {
						pad := tc.limit + extra - strings.Count(body, "<") + strings.Count(body, "</") + strings.Count(body, "<?")
						// Well within the envelope: "<x/>" is 4 bytes.
						body = strings.Replace(body, "</s:Header>", strings.Repeat("<x/>", pad)+"</s:Header>", 1)
					}
					for k, v := range rec.Header() {
						w.Header()[k] = v
					}
					w.Header().Del("Content-Length")
					w.WriteHeader(rec.Code)
					w.Write([]byte(body))
				})
				hs := httptest.NewServer(h)
				defer hs.Close()
				svc, err := wbem.Connect(context.Background(), fmt.Sprintf("%s/wsman?maxelements=%d&maxenvelopesize=%d", hs.URL, tc.batch, tc.envelope), workload.Namespace, wbem.Credentials{User: testUser, Password: testPass})
				if err != nil {
					t.Fatal(err)
				}
				defer svc.Close()
				en, err := svc.CreateInstanceEnum(context.Background(), workload.ClassName, wbem.WBEM_FLAG_RETURN_IMMEDIATELY|wbem.WBEM_FLAG_FORWARD_ONLY)
				if err != nil {
					t.Fatal(err)
				}
				defer en.Close()
				buf := make([]cim.Object, 10)
				got := 0
				for {
					k, err := en.Next(wbem.Infinite, buf)
					got += k
					if err != nil {
						if extra == 0 {
							if got != 10 || err.Error() != "EOF" {
								t.Fatalf("at the limit: %d instances, %v", got, err)
							}
						} else if wbem.StatusOf(err) != cim.WBEM_E_INVALID_PARAMETER || !strings.Contains(err.Error(), fmt.Sprintf("more than %d elements", tc.limit)) {
							t.Fatalf("past the limit: %d instances, %v", got, err)
						}
						break
					}
				}
			})
		}
	}
}
