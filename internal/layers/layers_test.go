package layers

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

const mod = "github.com/gowbem/gowbem/"

// layers places every package of the module, from the bottom up, as
// docs/ARCHITECTURE.md draws them: a package imports only packages of layers
// below its own (not of its own). An entry ending in "/..." places every
// package below that path not placed otherwise. A package in no layer fails
// the test: put a new package in its layer here.
var layers = [][]string{
	{"cim", "identity", "internal/enumctx", "internal/layers", "internal/wine", "cim/internal/statusgen", "internal/xmltree", "internal/statedir"},
	{"wql", "mof", "auth", "internal/cimtest", "internal/wine/goexec", "internal/classcache"},
	{"provider", "repository", "internal/users", "auth/pam"},
	{"wbem", "repository/storetest", "internal/providerwire"},
	{"cimom", "wmi", "internal/deadline", "internal/push", "provider/plugin", "internal/providerhost", "internal/httpclient"},
	{"providers/host", "internal/workload", "examples/..."},
	{"wsman", "cimxml", "internal/interop"},
	{"internal/cli", "internal/daemon", "internal/wsmantest", "internal/bench"},
	{"internal/cli/inproc"},
	{"cmd/..."},
}

// forbidden lists, per package, the gowbem packages below it that it must
// not depend on all the same, directly or not (tests excluded). An entry
// ending in "/" names every package under it. Every name must exist: a
// package renamed away would otherwise leave its rule checking nothing.
var forbidden = map[string][]string{
	// Authentication knows identities, not the data model.
	"auth":           {"cim"},
	"internal/users": {"cim", "wql", "mof"},
	"auth/pam":       {"cim"},
	// The public API knows no backend.
	"wbem": {"repository", "provider"},
	// Providers see only the provider contract.
	"provider":       {"auth"},
	"providers/host": {"cimom", "wbem", "repository", "auth"},
	// Out-of-process providers: the wire knows the provider contract only;
	// the SDK a provider links knows no daemon; the daemon's host of provider
	// processes is not the object manager (cimom finds it through a hook).
	"internal/providerwire": {"repository", "wbem", "auth"},
	"provider/plugin":       {"repository", "wbem", "auth"},
	"internal/providerhost": {"repository", "auth"},
	// A backend over Windows's WMI, beside the object manager.
	"wmi": {"repository", "provider", "internal/"},
	// Operation deadlines, for protocol servers over any backend.
	"internal/deadline": {"wql", "mof", "provider", "repository", "auth", "identity"},
	// The push half of event deliveries, over a wbem enumerator.
	"internal/push": {"mof", "provider", "repository", "auth", "internal/enumctx"},
	// The protocols serve any wbem.Backend, the object manager included.
	"wsman":  {"cimom", "providers/host", "repository", "internal/workload", "internal/users"},
	"cimxml": {"cimom", "providers/host", "repository", "internal/workload", "internal/users"},
	// The production daemon carries no test workload (the e2e tests build
	// their own wbemd with it).
	"internal/daemon": {"internal/workload"},
	"cmd/wbemd":       {"internal/workload"},
	// The commands know an in-process object manager as an interface only
	// (internal/cli/inproc is the one over a repository): a program may
	// link the protocols alone.
	"internal/cli": {"cimom", "repository", "providers/", "internal/providerhost", "internal/users"},
}

// pkg is a package of the module: its path relative to the module, its
// direct imports and all its dependencies within the module.
type pkg struct {
	imports, deps []string
}

// list runs go list over the module for one GOOS, so that files built only
// elsewhere (Windows) are checked too.
func list(t *testing.T, goos string) map[string]pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-e", "-f", "{{.ImportPath}}|{{join .Imports \" \"}}|{{join .Deps \" \"}}", mod+"...")
	cmd.Env = append(os.Environ(), "GOOS="+goos)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("GOOS=%s go list: %v", goos, err)
	}
	pkgs := map[string]pkg{}
	ours := func(list string) (rel []string) {
		for _, p := range strings.Fields(list) {
			if r, ok := strings.CutPrefix(p, mod); ok {
				rel = append(rel, r)
			}
		}
		return rel
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(line, "|")
		if len(f) != 3 {
			t.Fatalf("go list: %q", line)
		}
		rel, ok := strings.CutPrefix(f[0], mod)
		if !ok {
			continue
		}
		pkgs[rel] = pkg{imports: ours(f[1]), deps: ours(f[2])}
	}
	return pkgs
}

// layerOf returns the layer of package p (its index in layers), or -1.
// An exact entry wins over a "/..." one.
func layerOf(p string) int {
	wild := -1
	for i, l := range layers {
		for _, e := range l {
			if e == p {
				return i
			}
			if prefix, ok := strings.CutSuffix(e, "/..."); ok && strings.HasPrefix(p, prefix+"/") {
				wild = i
			}
		}
	}
	return wild
}

// names reports whether the forbidden name (a package, or with a trailing
// "/" a tree of packages) matches package p.
func names(name, p string) bool {
	if prefix, ok := strings.CutSuffix(name, "/"); ok {
		return strings.HasPrefix(p, prefix+"/")
	}
	return p == name
}

// suggest says where a package that imports imports goes: the layer just
// above the highest of them (or the bottom one), unless a package of that
// layer imports it, when a new layer goes in between.
func suggest(imports []string) string {
	top := -1
	for _, imp := range imports {
		if l := layerOf(imp); l > top {
			top = l
		}
	}
	if top+1 >= len(layers) {
		return "in a new layer at the top"
	}
	return fmt.Sprintf("in the layer of %s (just above its highest import), or in a new layer of its own above that one if a package of that layer imports it", layers[top+1][0])
}

func TestLayers(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the go command is not on PATH")
	}
	unplaced := map[string]bool{}
	for _, goos := range []string{"linux", "windows"} {
		pkgs := list(t, goos)
		if len(pkgs) < 10 {
			t.Fatalf("GOOS=%s: go list found only %d packages", goos, len(pkgs))
		}
		for p, info := range pkgs {
			lp := layerOf(p)
			if lp < 0 {
				if unplaced[p] {
					continue
				}
				unplaced[p] = true
				t.Errorf("package %s is in no layer: add it to internal/layers's table, %s (docs/ARCHITECTURE.md)", p, suggest(info.imports))
				continue
			}
			for _, imp := range info.imports {
				if li := layerOf(imp); li >= lp {
					t.Errorf("GOOS=%s: %s imports %s, which is not below it (docs/ARCHITECTURE.md)", goos, p, imp)
				}
			}
			for _, bad := range forbidden[p] {
				for _, dep := range info.deps {
					if names(bad, dep) {
						t.Errorf("GOOS=%s: %s depends on %s, which it must not (internal/layers)", goos, p, dep)
					}
				}
			}
		}
		if goos != "linux" {
			continue
		}
		// Every name in the tables names something that exists.
		exists := func(name string, match func(string, string) bool) bool {
			for p := range pkgs {
				if match(name, p) {
					return true
				}
			}
			return false
		}
		placed := map[string]bool{}
		for _, l := range layers {
			for _, e := range l {
				if placed[e] {
					t.Errorf("%s is in two layers", e)
				}
				placed[e] = true
				if !exists(strings.TrimSuffix(e, "..."), names) {
					t.Errorf("the layer entry %s names no package", e)
				}
			}
		}
		for p, bad := range forbidden {
			if _, ok := pkgs[p]; !ok {
				t.Errorf("the forbidden table's package %s does not exist", p)
			}
			for _, b := range bad {
				if !exists(b, names) {
					t.Errorf("%s's forbidden name %s names no package", p, b)
				}
			}
		}
	}
}

// The table's helpers themselves: a rule that cannot fire is no rule.
func TestLayerOf(t *testing.T) {
	if got := suggest([]string{"cim", "wql"}); !strings.Contains(got, "layer of provider") {
		t.Errorf("suggest(cim, wql) = %q", got)
	}
	if got := suggest(nil); !strings.Contains(got, "layer of cim") {
		t.Errorf("suggest() = %q", got)
	}
	for p, want := range map[string]int{"cim": 0, "wbem": 3, "cmd/wbemd": 9, "cmd/new/tool": 9, "wsman/cmd/x": -1, "nowhere": -1, "cmdx": -1} {
		if got := layerOf(p); got != want {
			t.Errorf("layerOf(%q) = %d, want %d", p, got, want)
		}
	}
	for _, tt := range []struct {
		name, p string
		want    bool
	}{{"internal/", "internal/cli", true}, {"internal/", "internal", false}, {"wsman", "wsman/cmd/x", false}, {"wsman", "wsman", true}} {
		if got := names(tt.name, tt.p); got != tt.want {
			t.Errorf("names(%q, %q) = %v", tt.name, tt.p, got)
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
