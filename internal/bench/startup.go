package bench

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"time"
)

// helloSource is the hello-world program the CLI's start-up is compared
// with.
const helloSource = `package main

import "os"

func main() { os.Stdout.WriteString("hello\n") }
`

// Times is one program's measured runs: wall-clock time from the start of
// the process to its end, and the processor time it used (user and
// system), the minimum and the median of each.
type Times struct {
	WallMin, WallMedian time.Duration
	CPUMin, CPUMedian   time.Duration
}

// StartupResult is what Startup measured.
type StartupResult struct {
	Hello, CLI Times
	Runs       int
}

// Startup builds a hello-world Go program and the wbem command (the
// package at cliPkg, e.g. "github.com/gowbem/gowbem/cmd/wbem", from the
// module the current directory is in) into a temporary directory with the
// go command, runs each runs times, interleaved, and returns their times.
// The CLI runs "--host http://127.0.0.1:PORT/wsman get X" on a port where
// nothing listens: it parses its flags, builds its client and sends its
// first request, which the kernel refuses at once; what it costs beyond
// the hello-world program is its own start-up (linking, package
// initialisation, the work before the request).
func Startup(cliPkg string, runs int) (StartupResult, error) {
	r := StartupResult{Runs: runs}
	dir, err := os.MkdirTemp("", "wbem-startup-")
	if err != nil {
		return r, err
	}
	defer os.RemoveAll(dir)
	hello := filepath.Join(dir, "hello")
	cli := filepath.Join(dir, "wbem")
	if err := os.WriteFile(hello+".go", []byte(helloSource), 0o644); err != nil {
		return r, err
	}
	build := func(out string, args ...string) error {
		cmd := exec.Command("go", append([]string{"build", "-o", out}, args...)...)
		if filepath.Ext(args[0]) == ".go" {
			cmd.Dir = dir // outside any module: the standard library only
			cmd.Env = append(os.Environ(), "GOFLAGS=")
		}
		if b, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build %s: %v\n%s", args[0], err, b)
		}
		return nil
	}
	if err := build(hello, "hello.go"); err != nil {
		return r, err
	}
	if err := build(cli, cliPkg); err != nil {
		return r, err
	}
	port, err := closedPort()
	if err != nil {
		return r, err
	}
	cliArgs := []string{"--host", fmt.Sprintf("http://127.0.0.1:%d/wsman", port), "get", "X"}
	run := func(exe string, args ...string) (wall, cpu time.Duration, err error) {
		cmd := exec.Command(exe, args...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		start := time.Now()
		err = cmd.Run()
		wall = time.Since(start)
		if cmd.ProcessState != nil {
			cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
		}
		if exe == cli {
			// Refused, as meant: the command fails and says so.
			if !bytes.Contains(stderr.Bytes(), []byte("refused")) {
				return wall, cpu, fmt.Errorf("wbem did not report a refused connection: %v\n%s", err, stderr.Bytes())
			}
			err = nil
		}
		return wall, cpu, err
	}
	var hw, hc, cw, cc []time.Duration
	for range runs {
		w, c, err := run(hello)
		if err != nil {
			return r, err
		}
		hw, hc = append(hw, w), append(hc, c)
		if w, c, err = run(cli, cliArgs...); err != nil {
			return r, err
		}
		cw, cc = append(cw, w), append(cc, c)
	}
	r.Hello, r.CLI = times(hw, hc), times(cw, cc)
	return r, nil
}

func times(wall, cpu []time.Duration) Times {
	slices.Sort(wall)
	slices.Sort(cpu)
	return Times{WallMin: wall[0], WallMedian: wall[len(wall)/2], CPUMin: cpu[0], CPUMedian: cpu[len(cpu)/2]}
}

// closedPort returns a loopback port where nothing listens (one a listener
// just gave back).
func closedPort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	return port, l.Close()
}
