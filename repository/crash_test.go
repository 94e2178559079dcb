//go:build linux

package repository_test

import (
	"bufio"
	"context"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/repository"
)

// The tests below re-execute the test binary as a child process that does one
// job (selected by childEnv) on the repository at childPath, reporting on
// stdout, so that the parent can kill it or limit it for real.
const (
	childEnv  = "GOWBEM_REPOSITORY_CHILD"
	childPath = "GOWBEM_REPOSITORY_CHILD_PATH"
	childTag  = "GOWBEM_REPOSITORY_CHILD_TAG"
)

func TestMain(m *testing.M) {
	if job := os.Getenv(childEnv); job != "" {
		if err := runChild(job, os.Getenv(childPath), os.Getenv(childTag)); err != nil {
			fmt.Printf("error %s\n", oneLine(err))
			os.Exit(3)
		}
		os.Exit(0)
	}
	code := m.Run()
	cleanupBenchStores()
	os.Exit(code)
}

func oneLine(err error) string {
	return fmt.Sprintf("%d %s", uint32(cim.StatusOf(err)), strings.ReplaceAll(err.Error(), "\n", " "))
}

// crashClass is the class of the instances the crash test writes: Sum is a
// checksum over Name and Data, so a half-written instance would show.
func crashClass() *cim.Class {
	c, err := cim.Derive(nil, &cim.Class{Name: "Crash", Properties: []cim.Property{
		{Name: "Name", Type: cim.TypeString, Qualifiers: cim.Qualifiers{{Name: "Key", Value: cim.Bool(true)}}},
		{Name: "Data", Type: cim.TypeString},
		{Name: "Sum", Type: cim.TypeUint32},
	}})
	if err != nil {
		panic(err)
	}
	return c
}

func crashInstance(c *cim.Class, name string, size int, rng *rand.Rand) *cim.Instance {
	data := make([]byte, size)
	for i := range data {
		data[i] = 'a' + byte(rng.IntN(26))
	}
	inst := c.NewInstance()
	inst.SetAt(0, cim.String(name))
	inst.SetAt(1, cim.String(string(data)))
	inst.SetAt(2, cim.Uint32(crc32.ChecksumIEEE([]byte(name+"\x00"+string(data)))))
	return inst
}

func checkSum(inst *cim.Instance) bool {
	return inst.At(2).Uint() == uint64(crc32.ChecksumIEEE([]byte(inst.At(0).Str()+"\x00"+inst.At(1).Str())))
}

func runChild(job, path, tag string) error {
	ctx := context.Background()
	c := crashClass()
	switch job {
	case "writer":
		// Write until killed: alternately one instance per Update, several
		// per Update (one of them rewriting an earlier instance), and
		// concurrent Batch calls; acknowledge each name once committed.
		b, err := repository.OpenBolt(path, repository.BoltOptions{LockTimeout: 5 * time.Second})
		if err != nil {
			return err
		}
		rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
		var mu sync.Mutex
		ack := func(names ...string) {
			mu.Lock()
			defer mu.Unlock()
			for _, n := range names {
				fmt.Printf("ack %s\n", n)
			}
		}
		for i := 0; ; i++ {
			name := fmt.Sprintf("%s-%d", tag, i)
			switch i % 3 {
			case 0:
				inst := crashInstance(c, name, rng.IntN(3000), rng)
				if err := b.Update(ctx, func(tx repository.Tx) error { return tx.PutInstance(`root\cimv2`, inst) }); err != nil {
					return err
				}
				ack(name)
			case 1:
				insts := []*cim.Instance{crashInstance(c, name, rng.IntN(500), rng)}
				names := []string{name}
				for j := range 4 {
					n := fmt.Sprintf("%s-%d.%d", tag, i, j)
					insts = append(insts, crashInstance(c, n, rng.IntN(500), rng))
					names = append(names, n)
				}
				if i > 3 { // rewrite an earlier instance with new data
					insts = append(insts, crashInstance(c, fmt.Sprintf("%s-%d", tag, rng.IntN(i)), rng.IntN(5000), rng))
				}
				if err := b.Update(ctx, func(tx repository.Tx) error {
					for _, inst := range insts {
						if err := tx.PutInstance(`root\cimv2`, inst); err != nil {
							return err
						}
					}
					return nil
				}); err != nil {
					return err
				}
				ack(names...)
			case 2:
				var wg sync.WaitGroup
				errs := make(chan error, 4)
				for j := range 4 {
					n := fmt.Sprintf("%s-%d.b%d", tag, i, j)
					inst := crashInstance(c, n, rng.IntN(1000), rng)
					wg.Go(func() {
						if err := b.Batch(ctx, func(tx repository.Tx) error { return tx.PutInstance(`root\cimv2`, inst) }); err != nil {
							errs <- err
							return
						}
						ack(n)
					})
				}
				wg.Wait()
				close(errs)
				if err := <-errs; err != nil {
					return err
				}
			}
		}
	case "diskfull":
		// Write 4 KiB instances under a file size limit until a commit fails;
		// report the failure, then show that the store still reads.
		fi, err := os.Stat(path)
		if err != nil {
			return err
		}
		limit := uint64(fi.Size()) + 1<<20
		if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: limit, Max: limit}); err != nil {
			return err
		}
		b, err := repository.OpenBolt(path, repository.BoltOptions{})
		if err != nil {
			return err
		}
		rng := rand.New(rand.NewPCG(1, 2))
		for i := 0; i < 10000; i++ {
			name := fmt.Sprintf("full-%d", i)
			inst := crashInstance(c, name, 4096, rng)
			if err := b.Update(ctx, func(tx repository.Tx) error { return tx.PutInstance(`root\cimv2`, inst) }); err != nil {
				fmt.Printf("failed %s\n", oneLine(err))
				n := 0
				if err := b.Instances(ctx, `root\cimv2`, c, func(*cim.Instance) error { n++; return nil }); err != nil {
					return fmt.Errorf("reading after the failed commit: %w", err)
				}
				fmt.Printf("readable %d\n", n)
				return b.Close()
			}
			fmt.Printf("ack %s\n", name)
		}
		return fmt.Errorf("the file size limit never stopped a commit")
	case "open", "open-as-nobody":
		// Open the store (as nobody, when asked and run as root) and report.
		if job == "open-as-nobody" && os.Geteuid() == 0 {
			if err := syscall.Setgid(65534); err != nil {
				return err
			}
			if err := syscall.Setuid(65534); err != nil {
				return err
			}
		}
		b, err := repository.OpenBolt(path, repository.BoltOptions{})
		if err != nil {
			return err
		}
		return b.Close()
	}
	return fmt.Errorf("unknown child job %q", job)
}

// child starts the test binary as a child doing job on path.
func child(t *testing.T, job, path, tag string) (*exec.Cmd, io.ReadCloser) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+job, childPath+"="+path, childTag+"="+tag)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, out
}

// verify reopens the store and checks that it passes Check, holds every name
// in acked, and that every instance's checksum holds.
func verify(t *testing.T, path string, acked map[string]bool) int {
	t.Helper()
	b, err := repository.OpenBolt(path, repository.BoltOptions{LockTimeout: 5 * time.Second})
	if err != nil {
		t.Fatalf("reopening after the crash: %v", err)
	}
	defer b.Close()
	if err := b.Check(context.Background()); err != nil {
		t.Fatalf("integrity check after the crash: %v", err)
	}
	c := crashClass()
	found := map[string]bool{}
	if err := b.Instances(context.Background(), `root\cimv2`, c, func(inst *cim.Instance) error {
		if !checkSum(inst) {
			return fmt.Errorf("instance %s is half-written: its checksum does not hold", inst.At(0).Str())
		}
		found[inst.At(0).Str()] = true
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for name := range acked {
		if !found[name] {
			t.Errorf("acknowledged instance %s is missing", name)
		}
	}
	return len(found)
}

func TestCrashSafety(t *testing.T) {
	rounds, budget := 30, 40*time.Second
	if testing.Short() {
		rounds, budget = 4, 8*time.Second
	}
	path := filepath.Join(t.TempDir(), "r.db")
	b, err := repository.OpenBolt(path, repository.BoltOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Update(context.Background(), func(tx repository.Tx) error { return tx.PutClass(`root\cimv2`, crashClass()) }); err != nil {
		t.Fatal(err)
	}
	b.Close()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	acked := map[string]bool{}
	deadline := time.Now().Add(budget)
	done := 0
	for round := 0; round < rounds && time.Now().Before(deadline); round++ {
		cmd, out := child(t, "writer", path, "r"+strconv.Itoa(round))
		lines := make(chan string)
		go func() {
			defer close(lines)
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				lines <- sc.Text()
			}
		}()
		// Kill after a random number of acknowledgements, at a random
		// moment within the following write.
		killAfter := 1 + rng.IntN(120)
		n := 0
		var killed bool
		for line := range lines {
			name, ok := strings.CutPrefix(line, "ack ")
			if !ok {
				t.Fatalf("round %d: child said %q", round, line)
			}
			acked[name] = true
			n++
			if n == killAfter && !killed {
				time.Sleep(time.Duration(rng.IntN(3000)) * time.Microsecond)
				cmd.Process.Kill() // SIGKILL
				killed = true
			}
		}
		if err := cmd.Wait(); err == nil || !killed {
			t.Fatalf("round %d: child exited by itself (%v) after %d acks", round, err, n)
		}
		total := verify(t, path, acked)
		if t.Failed() {
			t.Fatalf("round %d failed (%d instances, %d acknowledged)", round, total, len(acked))
		}
		done++
	}
	t.Logf("%d rounds, %d acknowledged instances survived", done, len(acked))
}

func TestDiskFull(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.db")
	b, err := repository.OpenBolt(path, repository.BoltOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Update(context.Background(), func(tx repository.Tx) error { return tx.PutClass(`root\cimv2`, crashClass()) }); err != nil {
		t.Fatal(err)
	}
	b.Close()
	cmd, out := child(t, "diskfull", path, "")
	acked := map[string]bool{}
	var failed, readable string
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "ack "):
			acked[strings.TrimPrefix(line, "ack ")] = true
		case strings.HasPrefix(line, "failed "):
			failed = strings.TrimPrefix(line, "failed ")
		case strings.HasPrefix(line, "readable "):
			readable = line
		default:
			t.Errorf("child said %q", line)
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("child: %v", err)
	}
	want := strconv.FormatUint(uint64(cim.WBEM_E_OUT_OF_DISK_SPACE), 10) + " "
	if !strings.HasPrefix(failed, want) {
		t.Errorf("the failing commit reported %q, want WBEM_E_OUT_OF_DISK_SPACE", failed)
	}
	if readable != fmt.Sprintf("readable %d", len(acked)) {
		t.Errorf("after the failed commit the child read %q, want %d instances", readable, len(acked))
	}
	if len(acked) == 0 {
		t.Errorf("no write succeeded before the limit")
	}
	t.Logf("after %d commits: %s", len(acked), failed)
	if n := verify(t, path, acked); n != len(acked) {
		t.Errorf("%d instances after reopening, want the %d acknowledged", n, len(acked))
	}
}

func TestAccessDenied(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "r.db")
	b, err := repository.OpenBolt(path, repository.BoltOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b.Close()
	var got string
	if os.Geteuid() == 0 {
		// Root ignores file modes: ask a child that drops to nobody.
		os.Chmod(filepath.Dir(dir), 0o755)
		os.Chmod(dir, 0o755)
		cmd, out := child(t, "open-as-nobody", path, "")
		data, _ := io.ReadAll(out)
		cmd.Wait()
		got = strings.TrimSpace(string(data))
	} else {
		if err := os.Chmod(path, 0o400); err != nil {
			t.Fatal(err)
		}
		_, err := repository.OpenBolt(path, repository.BoltOptions{})
		if err == nil {
			t.Fatal("opened a read-only file for writing")
		}
		got = "error " + oneLine(err)
	}
	t.Logf("%s", got)
	want := "error " + strconv.FormatUint(uint64(cim.WBEM_E_ACCESS_DENIED), 10) + " "
	if !strings.HasPrefix(got, want) || !strings.Contains(got, path) {
		t.Errorf("opening a file we may not write: %q, want WBEM_E_ACCESS_DENIED naming the file", got)
	}
}

func TestLockedByAnotherProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.db")
	b, err := repository.OpenBolt(path, repository.BoltOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	cmd, out := child(t, "open", path, "")
	data, _ := io.ReadAll(out)
	cmd.Wait()
	got := strings.TrimSpace(string(data))
	t.Logf("%s", got)
	for _, want := range []string{"error " + strconv.FormatUint(uint64(cim.WBEM_E_ACCESS_DENIED), 10), path, "in use by another process", "daemon"} {
		if !strings.Contains(got, want) {
			t.Errorf("the second process got %q, which does not say %q", got, want)
		}
	}
}
