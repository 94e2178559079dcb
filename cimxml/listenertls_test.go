package cimxml_test

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/cimxml"
	"github.com/gowbem/gowbem/internal/interop"
	"github.com/gowbem/gowbem/internal/workload"
	"github.com/gowbem/gowbem/wbem"
)

// An https listener whose URL pins its certificate
// ("#gowbem-sha256=HEX") is trusted for that certificate alone: the right
// pin delivers, a wrong one or none (a certificate no authority signed)
// is a transport failure, and a malformed pin or one on an http URL is
// refused.
func TestExporterPinnedListener(t *testing.T) {
	rec := &recorder{}
	hs := httptest.NewUnstartedServer(cimxml.NewListener(rec.deliver, cimxml.ListenerOptions{AllowAnonymous: true}))
	hs.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes
	hs.StartTLS()
	defer hs.Close()
	sum := sha256.Sum256(hs.Certificate().Raw)
	pin := hex.EncodeToString(sum[:])
	x := &cimxml.Exporter{}
	if err := x.ExportIndication(context.Background(), hs.URL+"/#gowbem-sha256="+pin, indication(t)); err != nil {
		t.Fatalf("the pinned listener: %v", err)
	}
	wrong := strings.Repeat("ab", sha256.Size)
	for _, tc := range []struct {
		url  string
		want cim.Status
		says string
	}{
		{hs.URL + "/#gowbem-sha256=" + wrong, cim.WBEM_E_TRANSPORT_FAILURE, "not the one its URL pins"},
		{hs.URL + "/", cim.WBEM_E_TRANSPORT_FAILURE, "certificate"},
		{hs.URL + "/#gowbem-sha256=abc", cim.WBEM_E_INVALID_PARAMETER, "SHA-256"},
		{strings.Replace(hs.URL, "https:", "http:", 1) + "/#gowbem-sha256=" + pin, cim.WBEM_E_INVALID_PARAMETER, "https"},
	} {
		err := x.ExportIndication(context.Background(), tc.url, indication(t))
		if cim.StatusOf(err) != tc.want || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%s: %v, want %v saying %q", tc.url, err, tc.want, tc.says)
		}
	}
	if rec.count() != 1 {
		t.Fatalf("%d delivered, want the pinned one", rec.count())
	}
	// The server refuses a destination whose pin is malformed.
	srv := newServer(t, nil, cimxml.Options{Indications: &cimxml.IndicationOptions{}})
	if desc := wantError(t, icall(srv, "CreateInstance", destInst("bad-pin", "https://127.0.0.1:5990/#gowbem-sha256=zz")), 4); !strings.Contains(desc, "gowbem-sha256=zz") {
		t.Fatalf("a malformed pin: %q", desc)
	}
}

// Over https to gowbem's server, the client's listener is https too, under
// the process's certificate pinned in the destination's URL, and the events
// arrive; a plain http request to it is not served. (Non-administrators
// included: the pin is no part of the host check.)
func TestClientListenerTLS(t *testing.T) {
	om := interop.NewObjectManager(&workload.Provider{})
	srv := cimxml.NewServer(om, cimxml.Options{Authenticator: testAuthenticator(), ServerName: "testhost",
		Indications: &cimxml.IndicationOptions{RetryInterval: 10 * time.Millisecond}})
	hs := httptest.NewTLSServer(srv)
	t.Cleanup(func() { srv.Close(); hs.Close() })
	roots := x509.NewCertPool()
	roots.AddCert(hs.Certificate())
	for _, user := range [][2]string{{testUser, testPass}, {"guest", "guest"}} {
		svc, err := wbem.Connect(t.Context(), hs.URL+"/cimom", workload.Namespace, wbem.Credentials{User: user[0], Password: user[1], TLS: &tls.Config{RootCAs: roots}})
		if err != nil {
			t.Fatal(err)
		}
		en, err := svc.ExecNotificationQuery(t.Context(), "WQL", creationQuery, semisync)
		if err != nil {
			t.Fatalf("%s: %v", user[0], err)
		}
		body := wantOK(t, post(srv, user[0], user[1], "EnumerateInstances", "root%2Fcimv2", imethod("EnumerateInstances", ip("ClassName", className("CIM_ListenerDestinationCIMXML")))))
		m := regexp.MustCompile(`(https://[^<#]+)#gowbem-sha256=[0-9a-f]{64}<`).FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("%s's destination is not a pinned https URL:\n%s", user[0], body)
		}
		plain, _ := url.Parse(m[1])
		plain.Scheme = "http"
		if resp, err := http.Post(plain.String(), "application/xml", strings.NewReader("<CIM/>")); err == nil {
			if resp.StatusCode == http.StatusOK {
				t.Fatalf("the listener answers plain http: %v", resp.Status)
			}
			resp.Body.Close()
		}
		wantOK(t, icall(srv, "CreateInstance", newFoo("tls-"+user[0])))
		buf := make([]cim.Object, 1)
		if n, err := en.Next(10*time.Second, buf); n != 1 || err != nil {
			t.Fatalf("%s's Next = %d, %v", user[0], n, err)
		}
		if id := buf[0].(*cim.Instance).Value("TargetInstance").Instance().Value("Id").Str(); id != "tls-"+user[0] {
			t.Fatalf("%s got the event of %q", user[0], id)
		}
		en.Close()
		svc.Backend().(*cimxml.Client).CloseIdleConnections()
	}
	waitUntil(t, "the subscriptions deleted", func() bool { return srv.IndicationStats().Subscriptions == 0 })
}

// The plain http listener (a server that does not say "listener-pin")
// has only its path for a secret: 128 random bits in hex, another for
// each event query, and every other path is 404.
func TestClientListenerPath(t *testing.T) {
	e := newEnv(t, nil, &cimxml.Options{Indications: &cimxml.IndicationOptions{RetryInterval: 10 * time.Millisecond}})
	svc := e.connect(t, "")
	var urls []string
	for range 2 {
		en, err := svc.ExecNotificationQuery(t.Context(), "WQL", creationQuery, semisync)
		if err != nil {
			t.Fatal(err)
		}
		defer en.Close()
	}
	body := wantOK(t, icall(e.srv, "EnumerateInstances", ip("ClassName", className("CIM_ListenerDestinationCIMXML"))))
	for _, m := range regexp.MustCompile(`(http://[^<]+)/gowbem/indications/([^<]*)<`).FindAllStringSubmatch(body, -1) {
		if !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(m[2]) {
			t.Fatalf("the listener's secret %q is not 128 bits in hex", m[2])
		}
		urls = append(urls, m[0][:len(m[0])-1])
		base := m[1]
		for _, wrong := range []string{"/", "/gowbem/indications/", "/gowbem/indications/" + strings.Repeat("0", 32), "/gowbem/indications/" + m[2][:31], "/gowbem/indications/" + m[2] + "x", "/gowbem/indications/" + strings.ToUpper(m[2])} {
			resp, err := http.Post(base+wrong, "application/xml", strings.NewReader("<CIM/>"))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusNotFound {
				t.Errorf("%s: HTTP %d, want 404", wrong, resp.StatusCode)
			}
		}
	}
	if len(urls) != 2 || urls[0] == urls[1] {
		t.Fatalf("listener URLs %v: want two different", urls)
	}
}
