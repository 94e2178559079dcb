package httpclient

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/wbem"
)

func TestEndpoint(t *testing.T) {
	for _, tt := range []struct {
		url, user, password              string // the URL and the credentials given
		endpoint, wantUser, wantPassword string
	}{
		{"http://h:5985/wsman?maxelements=9", "", "", "http://h:5985/wsman", "", ""},
		{"https://alice:s3cret@h:5989/cimom", "", "", "https://h:5989/cimom", "alice", "s3cret"},
		// Credentials given win over the URL's.
		{"https://alice:s3cret@h/cimom", "bob", "pw", "https://h/cimom", "bob", "pw"},
	} {
		u, _ := url.Parse(tt.url)
		ep, creds, err := Endpoint(u, wbem.Credentials{User: tt.user, Password: tt.password}, "P")
		if err != nil || ep != tt.endpoint || creds.User != tt.wantUser || creds.Password != tt.wantPassword {
			t.Errorf("%s: %q %+v %v", tt.url, ep, creds, err)
		}
	}
	u, _ := url.Parse("ftp://alice:s3cret@h/x")
	_, _, err := Endpoint(u, wbem.Credentials{}, "CIM-XML")
	var ce *cim.Error
	if !errors.As(err, &ce) || ce.Status != cim.WBEM_E_INVALID_PARAMETER || !strings.Contains(err.Error(), "CIM-XML") {
		t.Fatalf("ftp: %v", err)
	}
	if strings.Contains(err.Error(), "s3cret") {
		t.Errorf("the message shows the password: %v", err)
	}
}

func TestTransport(t *testing.T) {
	tr := Transport(nil)
	if tr.Proxy != nil || !tr.DisableCompression || tr.MaxIdleConnsPerHost != 256 || tr.ReadBufferSize != 64<<10 {
		t.Errorf("transport %+v", tr)
	}
}
