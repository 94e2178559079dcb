package cimxml

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// A listener's certificate pinned in its URL (gowbem's extension
// "listener-pin"). The client's indication listener cannot have a
// certificate the server trusts (it is a program on the user's machine,
// with no name in any authority's books), yet the events it receives are
// what the user reads over https and should not cross the network in
// clear. So the client listens with https under a certificate of its own,
// made for the process, and names the destination
// "https://HOST:PORT/PATH#gowbem-sha256=HEX": the fragment (which HTTP
// never sends) holds the SHA-256 of the certificate, and gowbem's Exporter
// trusts exactly that certificate for that URL, no authority's. Servers
// that do not say "listener-pin" get a plain http listener, as before.

// listenerPinKey starts the fragment of a pinned listener URL.
const listenerPinKey = "gowbem-sha256="

// listenerPin reads the certificate hash pinned in a listener URL's
// fragment: nil when there is none; an error when the fragment says
// gowbem-sha256= but is no SHA-256 in hex, or the URL is not https.
func listenerPin(u *url.URL) ([]byte, error) {
	hexPin, ok := strings.CutPrefix(u.Fragment, listenerPinKey)
	if !ok {
		return nil, nil
	}
	pin, err := hex.DecodeString(hexPin)
	if err != nil || len(pin) != sha256.Size {
		return nil, fmt.Errorf("the fragment %q is not %s and a SHA-256 in hex", u.Fragment, listenerPinKey)
	}
	if u.Scheme != "https" {
		return nil, errors.New("a pinned listener certificate (" + listenerPinKey + ") needs an https URL")
	}
	return pin, nil
}

// pinnedClient returns a client like hc (its timeout and redirect policy)
// whose connections trust exactly the certificate hashing to pin; close
// releases its connections.
func pinnedClient(hc *http.Client, pin []byte) (client *http.Client, close func()) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{
		MinVersion: tls.VersionTLS12,
		// The chain is not checked against authorities: the pin is the
		// trust, checked below for the certificate the listener shows.
		InsecureSkipVerify: true,
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("the listener shows no certificate")
			}
			sum := sha256.Sum256(cs.PeerCertificates[0].Raw)
			if subtle.ConstantTimeCompare(sum[:], pin) != 1 {
				return fmt.Errorf("the listener's certificate (SHA-256 %x) is not the one its URL pins", sum)
			}
			return nil
		},
	}
	c := *hc
	c.Transport = tr
	return &c, tr.CloseIdleConnections
}

// listenerCert is the certificate of the client's https indication
// listeners: made once per process, a P-256 key that never leaves memory.
var listenerCert = sync.OnceValues(func() (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return tls.Certificate{}, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "gowbem indication listener"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.AddDate(10, 0, 0), // the pin, not the dates, is the trust
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
})

// certPin is the fragment that pins cert in a listener URL.
func certPin(cert tls.Certificate) string {
	sum := sha256.Sum256(cert.Certificate[0])
	return listenerPinKey + hex.EncodeToString(sum[:])
}
