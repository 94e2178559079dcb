//go:build linux

package host

import (
	"bytes"
	"os"
	"testing"
)

func TestParseAccounts(t *testing.T) {
	ps := parsePasswd([]byte("a:x:1:2:g:/h:/s\n-nis:x:3:3::/:/\n+:::::: \nb:x:notanumber:1::/:/\nc:x:4:4:::\nd:x:5:5::/\n"))
	if len(ps) != 2 || ps[0].name != "a" || ps[0].gid != 2 || ps[1].name != "c" {
		t.Fatalf("%+v", ps)
	}
	gs := parseGroup([]byte("g:x:10:a, b ,,bad name\nh:x:x:\n"))
	if len(gs) != 1 || len(gs[0].members) != 2 || gs[0].members[1] != "b" {
		t.Fatalf("%+v", gs)
	}
	env := parseEnvironment([]byte("A=1\nA=2\nexport B=\"two words\"\n1X=no\nC='q'\nD=\"unbalanced\n"))
	want := [][2]string{{"A", "2"}, {"B", "two words"}, {"C", "q"}, {"D", `"unbalanced`}}
	if len(env) != len(want) {
		t.Fatalf("%q", env)
	}
	for i := range want {
		if env[i] != want[i] {
			t.Errorf("%d: %q, want %q", i, env[i], want[i])
		}
	}
	b, err := os.ReadFile("testdata/root/var/run/utmp")
	if err != nil {
		t.Fatal(err)
	}
	recs := parseUtmp(append(b, 1, 2, 3)) // a partial record at the end is ignored
	if len(recs) != 5 || recs[1].user != "alice" || recs[1].host != "10.0.0.7" || recs[1].addr.String() != "10.0.0.7" || recs[1].pid != 42 {
		t.Fatalf("%+v", recs)
	}
}

// FuzzParseAccounts: passwd, group, shadow, environment and utmp parsers
// take any bytes without panicking and return only well-formed names.
func FuzzParseAccounts(f *testing.F) {
	for _, p := range []string{"testdata/root/etc/passwd", "testdata/root/etc/group", "testdata/root/etc/environment", "testdata/root/var/run/utmp"} {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, p := range parsePasswd(b) {
			if !validAccountName(p.name) {
				t.Fatalf("user %q", p.name)
			}
		}
		for _, g := range parseGroup(b) {
			for _, m := range g.members {
				if !validAccountName(m) {
					t.Fatalf("member %q", m)
				}
			}
		}
		for name := range parseShadow(b) {
			if !validAccountName(name) {
				t.Fatalf("shadow %q", name)
			}
		}
		for _, kv := range parseEnvironment(b) {
			if !validEnvName(kv[0]) || bytes.ContainsAny([]byte(kv[0]), "= \n") {
				t.Fatalf("variable %q", kv[0])
			}
		}
		if n := len(parseUtmp(b)); n != len(b)/utmpSize {
			t.Fatalf("%d records from %d bytes", n, len(b))
		}
	})
}
