package cli

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// needShell skips (fails under GOWBEM_REQUIRE_ALL=1) without the shell.
func needShell(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("GOWBEM_REQUIRE_ALL") == "1" {
			t.Fatalf("%s is not installed (Debian package %s) and GOWBEM_REQUIRE_ALL=1", name, name)
		}
		t.Skipf("%s is not installed (Debian package %s)", name, name)
	}
	return p
}

func script(t *testing.T, shell string) string {
	t.Helper()
	var out, errb bytes.Buffer
	if code := Run(context.Background(), []string{"completion", shell}, Env{Stdout: &out, Stderr: &errb}); code != ExitOK {
		t.Fatalf("completion %s: %d %s", shell, code, errb.String())
	}
	return out.String()
}

// The bash script completes commands, flags, formats and files, skipping
// flags' values when it looks for the command.
func TestCompletionBash(t *testing.T) {
	bash := needShell(t, "bash")
	file := filepath.Join(t.TempDir(), "wbem.bash")
	os.WriteFile(file, []byte(script(t, "bash")), 0o644)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "widgets.mof"), nil, 0o644)
	for _, tc := range []struct {
		line string // the words typed, the last one being completed
		want string // words that must be among the completions
		not  string // a word that must not be
	}{
		{"wbem en", "enum", ""},
		{"wbem ", "query mofcomp namespaces completion help --host", ""},
		{"wbem -o js", "json jsonl", "csv"},
		{"wbem -o csv en", "enum", ""},
		{"wbem --host h enum --sh", "--shallow", ""},
		{"wbem enum -", "--property -p --where -w --shallow --namespace", "--check"},
		{"wbem mofcomp -class:f", "-class:forceupdate", ""},
		{"wbem mofcomp wid", "widgets.mof", ""},
		{"wbem help na", "namespaces", ""},
		{"wbem completion z", "zsh", ""},
		{"wbem namespaces c", "create", ""},
	} {
		words := strings.Split(tc.line, " ")
		var arr strings.Builder
		for _, w := range words {
			arr.WriteString(" '" + w + "'")
		}
		prog := "source " + file + "\nCOMP_WORDS=(" + arr.String() + ")\nCOMP_CWORD=" + strconv.Itoa(len(words)-1) +
			"\n_wbem\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n"
		cmd := exec.Command(bash, "--norc", "-c", prog)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%q: %v\n%s", tc.line, err, out)
		}
		got := strings.Fields(string(out))
		has := func(w string) bool {
			for _, g := range got {
				if g == w {
					return true
				}
			}
			return false
		}
		for _, w := range strings.Fields(tc.want) {
			if !has(w) {
				t.Errorf("%q: %q not among %v", tc.line, w, got)
			}
		}
		if tc.not != "" && has(tc.not) {
			t.Errorf("%q: %q among %v", tc.line, tc.not, got)
		}
	}
}

// The zsh and fish scripts are valid scripts of their shells, and load.
func TestCompletionZshFish(t *testing.T) {
	zsh := needShell(t, "zsh")
	file := filepath.Join(t.TempDir(), "_wbem")
	os.WriteFile(file, []byte(script(t, "zsh")), 0o644)
	// compdef stands in for compinit's (which takes seconds to scan fpath):
	// the script registers _wbem through bashcompinit's complete.
	if out, err := exec.Command(zsh, "-f", "-c", `compdef() { print -r -- compdef "$@" }; source `+file).CombinedOutput(); err != nil || !strings.Contains(string(out), "-F _wbem wbem") {
		t.Errorf("zsh: %v\n%s", err, out)
	}
	fish := needShell(t, "fish")
	ffile := filepath.Join(t.TempDir(), "wbem.fish")
	os.WriteFile(ffile, []byte(script(t, "fish")), 0o644)
	out, err := exec.Command(fish, "--no-config", "-c", "source "+ffile+"; complete -C 'wbem en'; complete -C 'wbem -o '").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "enum") || !strings.Contains(string(out), "jsonl") {
		t.Errorf("fish: %v\n%s", err, out)
	}
	var errb bytes.Buffer
	if code := Run(context.Background(), []string{"completion", "tcsh"}, Env{Stdout: &bytes.Buffer{}, Stderr: &errb}); code != ExitUsage {
		t.Errorf("completion tcsh: exit %d %s", code, errb.String())
	}
}

// --version prints the version, the build's module version or VCS
// revision.
func TestVersion(t *testing.T) {
	var out bytes.Buffer
	if code := Run(context.Background(), []string{"--version"}, Env{Stdout: &out, Stderr: &out}); code != ExitOK || !strings.HasPrefix(out.String(), "wbem ") || out.String() != "wbem "+Version()+"\n" {
		t.Fatalf("%d %q", code, out.String())
	}
}
