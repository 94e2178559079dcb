package httpclient_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gowbem/gowbem/cim"
	_ "github.com/gowbem/gowbem/cimxml" // wbem.Connect's CIM-XML backend
	"github.com/gowbem/gowbem/internal/httpclient"
	"github.com/gowbem/gowbem/wbem"
	_ "github.com/gowbem/gowbem/wsman" // wbem.Connect's WS-Management backend
)

func TestQuery(t *testing.T) {
	for _, tt := range []struct {
		query   string
		n       int
		d       time.Duration
		b       bool
		bad     string // the parameter the error names ("": none)
		badText string
	}{
		{query: "", n: 7, d: time.Second, b: true},
		{query: "n=12&d=90s&b=false", n: 12, d: 90 * time.Second, b: false},
		{query: "n=0&d=0s&b=0", n: 0, d: 0, b: false},
		{query: "n=twelve", n: 7, d: time.Second, b: true, bad: "n", badText: `"twelve"`},
		{query: "n=-1", n: 7, d: time.Second, b: true, bad: "n", badText: `"-1"`},
		{query: "d=90", n: 7, d: time.Second, b: true, bad: "d", badText: `"90"`},
		{query: "d=-5s", n: 7, d: time.Second, b: true, bad: "d", badText: `"-5s"`},
		{query: "b=yes", n: 7, d: time.Second, b: true, bad: "b", badText: `"yes"`},
		// The first bad value is the one reported; the good ones are read.
		{query: "n=x&d=2m&b=y", n: 7, d: 2 * time.Minute, b: true, bad: "n", badText: `"x"`},
	} {
		u, _ := url.Parse("http://h/cimom?" + tt.query)
		q := httpclient.NewQuery(u)
		n, d, b := 7, time.Second, true
		q.Int("n", &n)
		q.Duration("d", &d)
		q.Bool("b", &b)
		if n != tt.n || d != tt.d || b != tt.b {
			t.Errorf("%q: n %d, d %v, b %v; want %d, %v, %v", tt.query, n, d, b, tt.n, tt.d, tt.b)
		}
		if tt.bad == "" {
			if q.Err != nil {
				t.Errorf("%q: %v", tt.query, q.Err)
			}
			continue
		}
		var ce *cim.Error
		if !errors.As(q.Err, &ce) || ce.Status != cim.WBEM_E_INVALID_PARAMETER ||
			!strings.Contains(q.Err.Error(), tt.bad+"=") || !strings.Contains(q.Err.Error(), tt.badText) {
			t.Errorf("%q: error %v, want WBEM_E_INVALID_PARAMETER naming %s=%s", tt.query, q.Err, tt.bad, tt.badText)
		}
	}
}

// A mistyped client option in a wbem.Connect URL fails the connection,
// naming it, over both protocols — before, it was dropped and the default
// used without a word.
func TestConnectRefusesBadOptions(t *testing.T) {
	for _, tt := range []struct{ url, name string }{
		{"http://127.0.0.1:1/cimom?operationtimeout=bogus", "operationtimeout"},
		{"http://127.0.0.1:1/cimom?maxobjectcount=many", "maxobjectcount"},
		{"http://127.0.0.1:1/cimom?pull=never", "pull"},
		{"http://127.0.0.1:1/wsman?maxelements=-3", "maxelements"},
		{"http://127.0.0.1:1/wsman?maxenvelopesize=1MB", "maxenvelopesize"},
		{"http://127.0.0.1:1/wsman?pullwait=5", "pullwait"},
	} {
		_, err := wbem.Connect(context.Background(), tt.url, "root/cimv2", wbem.Credentials{User: "u", Password: "p"})
		if wbem.StatusOf(err) != cim.WBEM_E_INVALID_PARAMETER || !strings.Contains(err.Error(), tt.name+"=") {
			t.Errorf("%s: %v, want WBEM_E_INVALID_PARAMETER naming %s", tt.url, err, tt.name)
		}
	}
}
