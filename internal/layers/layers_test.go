package layers

import (
	"os/exec"
	"strings"
	"testing"
)

const mod = "github.com/gowbem/gowbem/"

// forbidden lists, per package, the gowbem packages it must not depend on,
// directly or not (tests excluded).
var forbidden = map[string][]string{
	"cim":            {"wql", "mof", "provider", "repository", "wbem", "cimom", "wsman", "providers/host", "internal/", "identity", "auth"},
	"identity":       {"cim", "wql", "mof", "provider", "repository", "wbem", "cimom", "wsman", "providers/host", "internal/", "auth"},
	"auth":           {"cim", "wql", "mof", "provider", "repository", "wbem", "cimom", "wsman", "providers/host", "internal/"},
	"internal/users": {"cim", "wql", "mof", "provider", "repository", "wbem", "cimom", "wsman", "providers/host", "internal/daemon", "internal/cli"},
	"wql":            {"mof", "provider", "repository", "wbem", "cimom", "wsman", "providers/host"},
	"mof":            {"wql", "provider", "repository", "wbem", "cimom", "wsman", "providers/host"},
	"provider":       {"repository", "wbem", "cimom", "wsman", "providers/host", "auth"},
	"repository":     {"provider", "wbem", "cimom", "wsman", "providers/host"},
	"wbem":           {"cimom", "wsman", "providers/host", "repository", "provider"},
	"cimom":          {"wsman", "providers/host", "internal/cli", "internal/daemon"},
	"providers/host": {"cimom", "wbem", "wsman", "repository", "auth"},
	"wsman":          {"cimom", "providers/host", "repository", "internal/cli", "internal/daemon", "internal/workload", "internal/bench", "internal/users"},

	// CIM-XML sits beside WS-Management.
	"cimxml": {"cimom", "providers/host", "repository", "internal/cli", "internal/daemon", "internal/workload", "internal/bench", "internal/users", "wsman"},

	// Shared by the protocol servers, below all of them.
	"internal/enumctx":  {"cim", "wql", "mof", "provider", "repository", "wbem", "cimom", "wsman", "providers/host"},
	"internal/deadline": {"wql", "mof", "provider", "repository", "cimom", "wsman", "providers/host", "auth", "identity"},
	// The push half of event deliveries, over a wbem enumerator.
	"internal/push": {"mof", "provider", "repository", "cimom", "wsman", "providers/host", "auth", "internal/enumctx"},
	"wmi":           {"cimom", "wsman", "providers/host", "repository", "provider", "internal/"},

	// The production daemon carries no test workload (the e2e tests build
	// their own wbemd with it).
	"internal/daemon": {"internal/workload"},
	"cmd/wbemd":       {"internal/workload"},
}

// goos lists packages whose layering is checked as built for another
// system (the wmi backend is Windows's).
var goos = map[string]string{"wmi": "windows"}

func TestLayers(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the go command is not on PATH")
	}
	for pkg, bad := range forbidden {
		cmd := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", mod+pkg)
		if o := goos[pkg]; o != "" {
			cmd.Env = append(cmd.Environ(), "GOOS="+o)
		}
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go list %s: %v", pkg, err)
		}
		for _, dep := range strings.Fields(string(out)) {
			rel, ok := strings.CutPrefix(dep, mod)
			if !ok || rel == pkg {
				continue
			}
			for _, b := range bad {
				if rel == b || strings.HasSuffix(b, "/") && strings.HasPrefix(rel, b) || strings.HasPrefix(rel, b+"/") {
					t.Errorf("%s depends on %s, which is above it (docs/ARCHITECTURE.md)", pkg, rel)
				}
			}
		}
	}
}

// The client links no password hashing: the users store, and bcrypt with
// it, belong to the daemon (a bcrypt at package init once added 100–165 ms
// to every run of wbem).
func TestCLILinksNoPasswordHashing(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the go command is not on PATH")
	}
	for _, pkg := range []string{"cmd/wbem", "wsman", "auth", "identity"} {
		out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", mod+pkg).Output()
		if err != nil {
			t.Fatalf("go list %s: %v", pkg, err)
		}
		for _, dep := range strings.Fields(string(out)) {
			if strings.HasPrefix(dep, "golang.org/x/crypto/") || dep == mod+"internal/users" {
				t.Errorf("%s depends on %s", pkg, dep)
			}
		}
	}
}
