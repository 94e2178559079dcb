package cimom_test

import (
	"os"
	"strings"
	"testing"
)

// The README's Go program is readme_example_test.go as a main package: the
// example compiles and its output is checked, so the README's program does
// both too.
func TestReadmeProgram(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, block, ok := strings.Cut(string(readme), "```go\npackage main\n")
	if !ok {
		t.Fatal("README.md has no Go program (a ```go block starting with package main)")
	}
	block, _, ok = strings.Cut(block, "```\n")
	if !ok {
		t.Fatal("README.md's Go program has no end")
	}
	src, err := os.ReadFile("readme_example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	want, ok := strings.CutPrefix(string(src), "package cimom_test\n")
	if !ok {
		t.Fatal("readme_example_test.go does not start with its package clause")
	}
	want = strings.Replace(want, "func Example_readme() {", "func main() {", 1)
	if block != want {
		t.Errorf("README.md's Go program differs from readme_example_test.go (with package main and func main):\n--- README\n%s\n--- want\n%s", block, want)
	}
}
