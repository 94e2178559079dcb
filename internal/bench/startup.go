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
// the process to its end, the processor time it used (user and system),
// and its minor page faults (0 where the system does not tell them), the
// minimum and the median of each. On a virtual machine a page fault can
// cost tens of microseconds: the faults explain much of a start-up.
type Times struct {
	WallMin, WallMedian     time.Duration
	CPUMin, CPUMedian       time.Duration
	FaultsMin, FaultsMedian int64
}

// A Build is one way to build the CLI: a name for the report and the flags
// of go build (e.g. "-tags", "netgo,osusergo").
type Build struct {
	Name  string
	Flags []string
}

// DefaultBuilds are the builds Startup measures when given none: go
// build's default, which links cgo on Linux (package net's resolver and
// os/user), and the pure Go one the README installs wbem with.
var DefaultBuilds = []Build{
	{Name: "wbem (go build)"},
	{Name: "wbem (-tags netgo,osusergo)", Flags: []string{"-tags", "netgo,osusergo"}},
}

// CLITimes is what Startup measured of one build of the CLI.
type CLITimes struct {
	Build Build
	Times Times
	// Diff is the CLI's run minus the hello-world run of the same round,
	// run by run: its median is steadier than a difference of medians on a
	// machine whose load drifts.
	Diff Times
	// Size is the executable's size in bytes.
	Size int64
	// ToRequest is the wall-clock time from the CLI's start to its first
	// connection (a listener accepts it), minimum and median: the CLI's
	// own cost before it sends a request, without its failure's handling.
	ToRequestMin, ToRequestMedian time.Duration
}

// StartupResult is what Startup measured.
type StartupResult struct {
	Hello Times
	CLI   []CLITimes // in the order of the builds
	Runs  int
}

// Ratio returns the CLI's time over the hello world's, both taken by pick
// (e.g. func(t Times) time.Duration { return t.WallMin }).
func (r StartupResult) Ratio(c CLITimes, pick func(Times) time.Duration) float64 {
	h := pick(r.Hello)
	if h <= 0 {
		return 0
	}
	return float64(pick(c.Times)) / float64(h)
}

// Startup builds a hello-world Go program and the wbem command (the
// package at cliPkg, e.g. "github.com/gowbem/gowbem/cmd/wbem", from the
// module the current directory is in) as each of builds (DefaultBuilds
// when none) into a temporary directory with the go command, and runs them
// runs times in rounds — hello world, then each build — and returns their
// times. The CLI runs "--host http://127.0.0.1:PORT/wsman get X" on a port
// where nothing listens: it parses its flags, builds its client and sends
// its first request, which the kernel refuses at once; what it costs
// beyond the hello-world program is its own start-up (loading, package
// initialisation, the work before the request). Each round also runs each
// build against a listener, timing its start to its first connection
// (CLITimes.ToRequestMin/Median).
func Startup(cliPkg string, runs int, builds ...Build) (StartupResult, error) {
	if len(builds) == 0 {
		builds = DefaultBuilds
	}
	r := StartupResult{Runs: runs}
	dir, err := os.MkdirTemp("", "wbem-startup-")
	if err != nil {
		return r, err
	}
	defer os.RemoveAll(dir)
	hello := filepath.Join(dir, "hello")
	if err := os.WriteFile(hello+".go", []byte(helloSource), 0o644); err != nil {
		return r, err
	}
	build := func(out string, flags []string, pkg string) error {
		args := append(append([]string{"build", "-o", out}, flags...), pkg)
		cmd := exec.Command("go", args...)
		if filepath.Ext(pkg) == ".go" {
			cmd.Dir = dir // outside any module: the standard library only
			cmd.Env = append(os.Environ(), "GOFLAGS=")
		}
		if b, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go %v: %v\n%s", args, err, b)
		}
		return nil
	}
	if err := build(hello, nil, "hello.go"); err != nil {
		return r, err
	}
	clis := make([]string, len(builds))
	r.CLI = make([]CLITimes, len(builds))
	for i, b := range builds {
		clis[i] = filepath.Join(dir, fmt.Sprintf("wbem%d", i))
		if err := build(clis[i], b.Flags, cliPkg); err != nil {
			return r, err
		}
		st, err := os.Stat(clis[i])
		if err != nil {
			return r, err
		}
		r.CLI[i].Build, r.CLI[i].Size = b, st.Size()
	}
	port, err := closedPort()
	if err != nil {
		return r, err
	}
	cliArgs := []string{"--host", fmt.Sprintf("http://127.0.0.1:%d/wsman", port), "get", "X"}
	// A listener that notes when each connection arrives and closes it.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return r, err
	}
	defer l.Close()
	accepted := make(chan time.Time, 16)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			select {
			case accepted <- time.Now():
			default:
			}
			c.Close()
		}
	}()
	listenArgs := []string{"--host", "http://" + l.Addr().String() + "/wsman", "get", "X"}
	toRequest := func(exe string) (time.Duration, error) {
		for len(accepted) > 0 {
			<-accepted
		}
		cmd := exec.Command(exe, listenArgs...)
		start := time.Now()
		if err := cmd.Start(); err != nil {
			return 0, err
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }() // it fails: the connection closes unanswered
		select {
		case t := <-accepted:
			<-exited
			return t.Sub(start), nil
		case err := <-exited:
			select {
			case t := <-accepted: // both were ready
				return t.Sub(start), nil
			default:
				return 0, fmt.Errorf("%s ended without a request: %v", exe, err)
			}
		}
	}
	run := func(exe string, isCLI bool, args ...string) (wall, cpu time.Duration, faults int64, err error) {
		cmd := exec.Command(exe, args...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		start := time.Now()
		err = cmd.Run()
		wall = time.Since(start)
		if cmd.ProcessState != nil {
			cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
			faults = minorFaults(cmd.ProcessState)
		}
		if isCLI {
			// Refused, as meant: the command fails and says so.
			if !bytes.Contains(stderr.Bytes(), []byte("refused")) {
				return wall, cpu, faults, fmt.Errorf("wbem did not report a refused connection: %v\n%s", err, stderr.Bytes())
			}
			err = nil
		}
		return wall, cpu, faults, err
	}
	var hw, hc []time.Duration
	var hf []int64
	cw, cc := make([][]time.Duration, len(builds)), make([][]time.Duration, len(builds))
	dw, dc := make([][]time.Duration, len(builds)), make([][]time.Duration, len(builds))
	cf, df := make([][]int64, len(builds)), make([][]int64, len(builds))
	tr := make([][]time.Duration, len(builds))
	for range runs {
		w, c, f, err := run(hello, false)
		if err != nil {
			return r, err
		}
		hw, hc, hf = append(hw, w), append(hc, c), append(hf, f)
		for i, exe := range clis {
			w2, c2, f2, err := run(exe, true, cliArgs...)
			if err != nil {
				return r, err
			}
			cw[i], cc[i], cf[i] = append(cw[i], w2), append(cc[i], c2), append(cf[i], f2)
			dw[i], dc[i], df[i] = append(dw[i], w2-w), append(dc[i], c2-c), append(df[i], f2-f)
			d, err := toRequest(exe)
			if err != nil {
				return r, err
			}
			tr[i] = append(tr[i], d)
		}
	}
	r.Hello = times(hw, hc, hf)
	for i := range builds {
		r.CLI[i].Times, r.CLI[i].Diff = times(cw[i], cc[i], cf[i]), times(dw[i], dc[i], df[i])
		slices.Sort(tr[i])
		r.CLI[i].ToRequestMin, r.CLI[i].ToRequestMedian = tr[i][0], tr[i][len(tr[i])/2]
	}
	return r, nil
}

func times(wall, cpu []time.Duration, faults []int64) Times {
	slices.Sort(wall)
	slices.Sort(cpu)
	slices.Sort(faults)
	return Times{WallMin: wall[0], WallMedian: wall[len(wall)/2], CPUMin: cpu[0], CPUMedian: cpu[len(cpu)/2],
		FaultsMin: faults[0], FaultsMedian: faults[len(faults)/2]}
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
