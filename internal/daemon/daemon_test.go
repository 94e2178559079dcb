package daemon

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/cimom"
	"github.com/gowbem/gowbem/internal/cimtest"
	"github.com/gowbem/gowbem/internal/users"
	"github.com/gowbem/gowbem/internal/workload"
	"github.com/gowbem/gowbem/wbem"
)

// started is a daemon run in this process by start.
type started struct {
	http, https net.Addr
	log         *cimtest.SyncBuffer
	stop        context.CancelFunc
	done        chan error
	once        sync.Once
	took        time.Duration
}

// start runs Run in a goroutine and waits until it serves.
func start(t *testing.T, cfg Config) *started {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &started{log: &cimtest.SyncBuffer{}, stop: cancel, done: make(chan error, 1)}
	cfg.Logger = slog.New(slog.NewTextHandler(s.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ready := make(chan struct{})
	cfg.Ready = func(h, hs net.Addr) { s.http, s.https = h, hs; close(ready) }
	go func() { s.done <- Run(ctx, cfg) }()
	select {
	case <-ready:
	case err := <-s.done:
		t.Fatalf("Run: %v\n%s", err, s.log)
	case <-time.After(time.Minute): // the first start's bcrypt of admin is slow under -race on a busy machine
		t.Fatalf("not ready\n%s", s.log)
	}
	t.Cleanup(func() { s.shutdown(t) })
	return s
}

// shutdown cancels the daemon's context and waits for Run.
func (s *started) shutdown(t *testing.T) time.Duration {
	t.Helper()
	s.once.Do(func() {
		t0 := time.Now()
		s.stop()
		select {
		case err := <-s.done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("Run did not return after cancel\n%s", s.log)
		}
		s.took = time.Since(t0)
	})
	return s.took
}

// TestFirstStart checks that the first start creates the user admin with a
// random password in a 0600 file, says where on its log without the
// password, and that a second start keeps both.
func TestFirstStart(t *testing.T) {
	dir := t.TempDir()
	before := runtime.NumGoroutine()
	s := start(t, Config{StateDir: dir, HTTPAddr: "127.0.0.1:0"})
	s.shutdown(t)
	// Run leaves no goroutine behind.
	for deadline := time.Now().Add(2 * time.Second); runtime.NumGoroutine() > before && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines after shutdown, %d before", n, before)
	}
	pwPath := filepath.Join(dir, AdminPasswordFile)
	pw, err := os.ReadFile(pwPath)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(pwPath)
	if st.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %v, want 0600", pwPath, st.Mode().Perm())
	}
	password := strings.TrimSpace(string(pw))
	if len(password) < 20 {
		t.Errorf("password %q is too short", password)
	}
	uf, err := users.Open(filepath.Join(dir, UsersFile), nil)
	if err != nil {
		t.Fatal(err)
	}
	if c, err := uf.CheckPassword(context.Background(), AdminUser, password); err != nil || !c.Admin {
		t.Errorf("the users file does not accept admin's password, or admin is no administrator: %v, %v", c, err)
	}
	log := s.log.String()
	if !strings.Contains(log, pwPath) || !strings.Contains(log, "created user admin") {
		t.Errorf("the log does not say where the password is:\n%s", log)
	}
	if strings.Contains(log, password) {
		t.Error("the log shows the password")
	}
	usersBefore, _ := os.ReadFile(filepath.Join(dir, UsersFile))

	s2 := start(t, Config{StateDir: dir, HTTPAddr: "127.0.0.1:0"})
	s2.shutdown(t)
	pw2, _ := os.ReadFile(pwPath)
	usersAfter, _ := os.ReadFile(filepath.Join(dir, UsersFile))
	if !bytes.Equal(pw, pw2) || !bytes.Equal(usersBefore, usersAfter) {
		t.Error("a second start changed the password or the users file")
	}
	if strings.Contains(s2.log.String(), "created user") {
		t.Error("a second start created a user again")
	}

	// Two first starts make different passwords.
	dir3 := t.TempDir()
	s3 := start(t, Config{StateDir: dir3, HTTPAddr: "127.0.0.1:0"})
	s3.shutdown(t)
	pw3, _ := os.ReadFile(filepath.Join(dir3, AdminPasswordFile))
	if bytes.Equal(pw, pw3) {
		t.Error("two first starts made the same password")
	}
}

// TestUsersFlag checks that --users names the users file and that an
// existing one is used as it is.
func TestUsersFlag(t *testing.T) {
	dir := t.TempDir()
	usersPath := filepath.Join(t.TempDir(), "etc-users")
	h, _ := users.Hash("secret", 4)
	if err := os.WriteFile(usersPath, []byte("ops:"+h+"\n"), 0o600); err != nil { // a file of the old format
		t.Fatal(err)
	}
	s := start(t, Config{StateDir: dir, HTTPAddr: "127.0.0.1:0", UsersFile: usersPath})
	svc := connect(t, "http://"+s.http.String()+Path, "ops", "secret", nil)
	if _, err := svc.GetObject(context.Background(), "__SystemClass", 0); err != nil {
		t.Fatalf("ops cannot log in: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, AdminPasswordFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("an existing users file still got an admin password file: %v", err)
	}
	bad := connect(t, "http://"+s.http.String()+Path, "ops", "wrong", nil)
	if _, err := bad.GetObject(context.Background(), "__SystemClass", 0); err == nil {
		t.Error("a wrong password was accepted")
	}
}

func connect(t *testing.T, url, user, password string, creds *wbem.Credentials) *wbem.Services {
	t.Helper()
	c := wbem.Credentials{User: user, Password: password}
	if creds != nil {
		c.TLS = creds.TLS
	}
	svc, err := wbem.Connect(context.Background(), url, `root\cimv2`, c)
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// TestShutdownReleasesEnumerations checks that cancelling the daemon's
// context with an enumeration open over WS-Management stops the provider
// (its ctx is cancelled) and returns within a few seconds.
func TestShutdownReleasesEnumerations(t *testing.T) {
	dir := t.TempDir()
	p := &workload.Provider{N: 1_000_000, Delay: 5 * time.Millisecond}
	s := start(t, Config{StateDir: dir, HTTPAddr: "127.0.0.1:0", Install: func(ctx context.Context, om *cimom.ObjectManager) error {
		om.RegisterProvider(workload.ProviderName, p)
		return workload.Setup(ctx, om.Services(workload.Namespace))
	}})
	pw, _ := os.ReadFile(filepath.Join(dir, AdminPasswordFile))
	svc := connect(t, "http://"+s.http.String()+Path+"?pullwait=100ms", AdminUser, strings.TrimSpace(string(pw)), nil)
	var enums []*wbem.Enumerator
	for range 3 {
		e, err := svc.ExecQuery(context.Background(), "WQL", "SELECT * FROM GW_Item", wbem.WBEM_FLAG_RETURN_IMMEDIATELY|wbem.WBEM_FLAG_FORWARD_ONLY)
		if err != nil {
			t.Fatal(err)
		}
		enums = append(enums, e)
		buf := make([]cim.Object, 1)
		// The wait is generous: this test is about shutdown, and a loaded
		// CI machine under -race has taken over 10 s for the first object.
		if n, err := e.Next(time.Minute, buf); n != 1 {
			t.Fatalf("first object: %d, %v", n, err)
		}
	}
	if p.Started.Load() != 3 {
		t.Fatalf("provider started %d times, want 3", p.Started.Load())
	}
	took := s.shutdown(t)
	if took > ShutdownTimeout+2*time.Second {
		t.Errorf("shutdown took %v", took)
	}
	if got := p.Stopped.Load(); got != 3 {
		t.Errorf("%d of 3 enumerations saw their ctx cancelled\n%s", got, s.log)
	}
	if p.Completed.Load() != 0 {
		t.Error("an enumeration completed")
	}
	for _, e := range enums {
		e.Close()
	}
}

func TestParseFlags(t *testing.T) {
	for _, tc := range []struct {
		args  []string
		check func(Config, logSetup) bool
		err   string
	}{
		{nil, func(c Config, l logSetup) bool {
			return c.HTTPAddr == DefaultHTTPAddr && c.HTTPSAddr == "" && c.CIMXMLAddr == DefaultCIMXMLAddr && c.CIMXMLSAddr == "" && c.StateDir != "" && l.level == slog.LevelInfo
		}, ""},
		{[]string{"--cimxml", ""}, func(c Config, _ logSetup) bool { return c.CIMXMLAddr == "" && c.HTTPAddr == DefaultHTTPAddr }, ""},
		{[]string{"--tls-cert", "c", "--tls-key", "k", "--cimxml-https", ":2"}, func(c Config, _ logSetup) bool {
			return c.CIMXMLSAddr == ":2" && c.HTTPSAddr == DefaultHTTPSAddr
		}, ""},
		{[]string{"--cimxml-https", ":1"}, nil, "--cimxml-https needs --tls-cert"},
		{[]string{"--http", "", "--state-dir", "/x"}, func(c Config, _ logSetup) bool { return c.HTTPAddr == "" && c.StateDir == "/x" }, ""},
		{[]string{"--tls-cert", "c", "--tls-key", "k"}, func(c Config, _ logSetup) bool {
			return c.HTTPSAddr == DefaultHTTPSAddr && c.CIMXMLSAddr == DefaultCIMXMLSAddr
		}, ""},
		{[]string{"--tls-cert", "c", "--tls-key", "k", "--https", ":1"}, func(c Config, _ logSetup) bool { return c.HTTPSAddr == ":1" }, ""},
		{[]string{"--log-level", "debug", "--users", "/u"}, func(c Config, l logSetup) bool { return l.level == slog.LevelDebug && c.UsersFile == "/u" }, ""},
		{[]string{"--log-format", "json", "--log-file", "/l", "--operation-timeout", "5s", "--max-connections", "10", "--max-connections-per-address", "3", "--client-ca", "/ca"},
			func(c Config, l logSetup) bool {
				return l.format == "json" && l.file == "/l" && c.OperationTimeout == 5*time.Second && c.MaxConnections == 10 &&
					c.MaxConnectionsPerAddress == 3 && c.ClientCA == "/ca"
			}, ""},
		{[]string{"--log-format", "xml"}, nil, "text or json"},
		{[]string{"--max-connections", "0"}, nil, "must be positive"},
		{[]string{"--operation-timeout", "-1s"}, nil, "must be positive"},
		{[]string{"--tls-cert", "c"}, nil, "go together"},
		{[]string{"--https", ":1"}, nil, "needs --tls-cert"},
		{[]string{"--log-level", "loud"}, nil, "log-level"},
		{[]string{"extra"}, nil, "unexpected argument"},
		{[]string{"--nope"}, nil, "not defined"},
	} {
		cfg, ls, err := parseFlags(tc.args, io.Discard)
		switch {
		case tc.err != "":
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: error %v, want %q", tc.args, err, tc.err)
			}
		case err != nil:
			t.Errorf("%q: %v", tc.args, err)
		case !tc.check(cfg, ls):
			t.Errorf("%q: got %+v, %v", tc.args, cfg, ls)
		}
	}
}

func TestMainExitCodes(t *testing.T) {
	var b bytes.Buffer
	if code := Main(context.Background(), []string{"--bogus"}, &b, nil); code != ExitUsage {
		t.Errorf("bad flag: %d", code)
	}
	if code := Main(context.Background(), []string{"-h"}, &b, nil); code != ExitOK {
		t.Errorf("-h: %d", code)
	}
	if code := Main(context.Background(), []string{"--http", "", "--cimxml", "", "--state-dir", t.TempDir()}, &b, nil); code != ExitFailed {
		t.Errorf("nothing to serve: %d", code)
	}
	// A daemon whose context is already done starts and stops cleanly.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	b.Reset()
	if code := Main(ctx, []string{"--http", "127.0.0.1:0", "--cimxml", "", "--state-dir", t.TempDir()}, &b, nil); code != ExitOK {
		t.Errorf("clean stop: %d\n%s", code, b.String())
	}
	// The store held by another daemon.
	dir := t.TempDir()
	s := start(t, Config{StateDir: dir, HTTPAddr: "127.0.0.1:0"})
	b.Reset()
	if code := Main(context.Background(), []string{"--http", "127.0.0.1:0", "--cimxml", "", "--state-dir", dir}, &b, nil); code != ExitFailed || !strings.Contains(b.String(), "another wbemd") {
		t.Errorf("second daemon on the same state dir: %d\n%s", code, b.String())
	}
	s.shutdown(t)
}
