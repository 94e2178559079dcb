// Command wbemd here is the end-to-end tests' wbemd: cmd/wbemd's daemon and
// host classes plus internal/workload's GW_Item, so that a test can watch a
// slow provider through a shutdown. WORKLOAD sets the workload: "N" or
// "N,DELAY" (e.g. "1000,10ms") instances of GW_Item, one every DELAY. At exit
// it logs what the provider saw (started, stopped early, completed).
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gowbem/gowbem/cimom"
	"github.com/gowbem/gowbem/internal/daemon"
	"github.com/gowbem/gowbem/internal/workload"
	"github.com/gowbem/gowbem/providers/host"
)

func main() {
	p, err := parseWorkload(os.Getenv("WORKLOAD"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "wbemd:", err)
		os.Exit(daemon.ExitUsage)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := daemon.Main(ctx, os.Args[1:], os.Stderr, func(ctx context.Context, om *cimom.ObjectManager) error {
		if err := host.Install(ctx, om, host.Config{}); err != nil {
			return err
		}
		om.RegisterProvider(workload.ProviderName, p)
		return workload.Setup(ctx, om.Services(workload.Namespace))
	})
	stop()
	slog.New(slog.NewTextHandler(os.Stderr, nil)).Info("test workload provider",
		"started", p.Started.Load(), "stopped", p.Stopped.Load(), "completed", p.Completed.Load())
	os.Exit(code)
}

// parseWorkload reads "N" or "N,DELAY"; "" is 10 instances at once.
func parseWorkload(spec string) (*workload.Provider, error) {
	if spec == "" {
		return &workload.Provider{N: 10}, nil
	}
	ns, ds, _ := strings.Cut(spec, ",")
	n, err := strconv.Atoi(strings.TrimSpace(ns))
	if err != nil || n < 0 {
		return nil, fmt.Errorf("WORKLOAD=%q: want N or N,DELAY", spec)
	}
	p := &workload.Provider{N: n}
	if ds != "" {
		if p.Delay, err = time.ParseDuration(strings.TrimSpace(ds)); err != nil {
			return nil, fmt.Errorf("WORKLOAD=%q: %v", spec, err)
		}
	}
	return p, nil
}
