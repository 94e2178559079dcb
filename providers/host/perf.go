//go:build linux

package host

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/gowbem/gowbem/cim"
)

// cpuSample is one processor line of /proc/stat, in USER_HZ ticks.
type cpuSample struct {
	name                                        string // "_Total", "0", "1", …
	user, nice, system, idle, iowait, irq, soft uint64
	steal                                       uint64
}

func (c cpuSample) total() uint64 {
	return c.user + c.nice + c.system + c.idle + c.iowait + c.irq + c.soft + c.steal
}

func (c cpuSample) idleAll() uint64 { return c.idle + c.iowait }

// statSample is what the processor counters read of /proc/stat at one time.
type statSample struct {
	at   time.Time
	cpus []cpuSample // "_Total" last, as WMI lists it
	intr uint64      // interrupts since boot
	ctxt uint64
}

// MaxCPUs bounds how many processor lines parseProcStat keeps.
const MaxCPUs = 8192

// parseProcStat reads the cpu, cpuN, intr and ctxt lines of /proc/stat
// (proc(5)); malformed lines are skipped, missing fields are 0.
func parseProcStat(b []byte) statSample {
	var s statSample
	var total *cpuSample
	for line := range bytes.Lines(b) {
		f := strings.Fields(string(line))
		if len(f) < 2 {
			continue
		}
		switch {
		case f[0] == "cpu" || strings.HasPrefix(f[0], "cpu") && isDigits(f[0][3:]):
			var v [8]uint64
			for i := 1; i < len(f) && i <= len(v); i++ {
				v[i-1], _ = strconv.ParseUint(f[i], 10, 64)
			}
			c := cpuSample{user: v[0], nice: v[1], system: v[2], idle: v[3], iowait: v[4], irq: v[5], soft: v[6], steal: v[7]}
			if f[0] == "cpu" {
				c.name = "_Total"
				total = &c
			} else if len(s.cpus) < MaxCPUs {
				c.name = f[0][3:]
				s.cpus = append(s.cpus, c)
			}
		case f[0] == "intr":
			s.intr, _ = strconv.ParseUint(f[1], 10, 64)
		case f[0] == "ctxt":
			s.ctxt, _ = strconv.ParseUint(f[1], 10, 64)
		}
	}
	if total != nil {
		s.cpus = append(s.cpus, *total)
	}
	return s
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func (h *host) statSample() (statSample, error) {
	b, err := readSmall(h.cfg.path("/proc/stat"))
	if err != nil {
		return statSample{}, &cim.Error{Status: cim.WBEM_E_PROVIDER_FAILURE, Description: "cannot read /proc/stat: " + err.Error(), Err: err}
	}
	s := parseProcStat(b)
	s.at = time.Now()
	return s, nil
}

// sampleInterval waits Config.LoadInterval (DefaultLoadInterval when 0),
// returning early with ctx's error.
func (h *host) sampleInterval(ctx context.Context) error {
	d := h.cfg.LoadInterval
	if d <= 0 {
		d = DefaultLoadInterval
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// ticks100ns converts USER_HZ ticks to 100 ns units.
func ticks100ns(t uint64) uint64 { return t * (1e7 / userHZ) }

// fileTime is t as a Windows FILETIME: 100 ns units since 1601, what
// Timestamp_Sys100NS counts in.
func fileTime(t time.Time) uint64 {
	const epochDiff = 11644473600 // seconds from 1601 to 1970
	return uint64(t.Unix()+epochDiff)*1e7 + uint64(t.Nanosecond()/100)
}

// newPerfRawProcessorProvider serves Win32_PerfRawData_PerfOS_Processor:
// the counters of /proc/stat since boot, per processor and _Total, in 100
// ns units. PercentProcessorTime is, as in Windows, the inverse counter:
// the idle time, which a consumer turns into busy time over two samples
// with Timestamp_Sys100NS.
func newPerfRawProcessorProvider(h *host) *listProvider {
	return &listProvider{h: h, list: func(ctx context.Context, class *cim.Class, emit func(*cim.Instance) error) error {
		s, err := h.statSample()
		if err != nil {
			return err
		}
		ts := fileTime(s.at)
		for _, c := range s.cpus {
			r := newRow(class).
				set("Name", cim.String(c.name)).
				set("PercentProcessorTime", cim.Uint64(ticks100ns(c.idleAll()))).
				set("PercentIdleTime", cim.Uint64(ticks100ns(c.idle))).
				set("PercentUserTime", cim.Uint64(ticks100ns(c.user+c.nice))).
				set("PercentPrivilegedTime", cim.Uint64(ticks100ns(c.system))).
				set("PercentInterruptTime", cim.Uint64(ticks100ns(c.irq))).
				set("PercentDPCTime", cim.Uint64(ticks100ns(c.soft))).
				set("Timestamp_Sys100NS", cim.Uint64(ts)).
				set("Frequency_Sys100NS", cim.Uint64(1e7)).
				set("Timestamp_PerfTime", cim.Uint64(ts)).
				set("Frequency_PerfTime", cim.Uint64(1e7))
			if c.name == "_Total" {
				r.set("InterruptsPerSec", cim.Uint32(uint32(s.intr)))
			}
			if err := emit(r.inst); err != nil {
				return err
			}
		}
		return nil
	}}
}

// percent is 100·part/whole rounded, NULL when whole is 0 (no time passed
// for that processor: a fixture, or an offline processor).
func percent(part, whole uint64) cim.Value {
	if whole == 0 {
		return cim.Null
	}
	return cim.Uint64(min((part*100+whole/2)/whole, 100))
}

// formatProcessor computes the formatted counters of one processor between
// two samples.
func formatProcessor(class *cim.Class, a, b cpuSample, intrPerSec cim.Value) *cim.Instance {
	d := func(x, y uint64) uint64 {
		if y < x {
			return 0 // a counter that went back (CPU hot-plug): no time
		}
		return y - x
	}
	total := d(a.total(), b.total())
	idle := d(a.idleAll(), b.idleAll())
	r := newRow(class).
		set("Name", cim.String(b.name)).
		set("PercentProcessorTime", percent(total-min(idle, total), total)).
		set("PercentIdleTime", percent(d(a.idle, b.idle), total)).
		set("PercentUserTime", percent(d(a.user+a.nice, b.user+b.nice), total)).
		set("PercentPrivilegedTime", percent(d(a.system, b.system), total)).
		set("PercentInterruptTime", percent(d(a.irq, b.irq), total)).
		set("PercentDPCTime", percent(d(a.soft, b.soft), total)).
		set("InterruptsPerSec", intrPerSec)
	return r.inst
}

// newPerfFormattedProcessorProvider serves
// Win32_PerfFormattedData_PerfOS_Processor: percentages of time over
// Config.LoadInterval between two /proc/stat samples (one wait per call,
// cut short by ctx).
func newPerfFormattedProcessorProvider(h *host) *listProvider {
	return &listProvider{h: h, list: func(ctx context.Context, class *cim.Class, emit func(*cim.Instance) error) error {
		a, err := h.statSample()
		if err != nil {
			return err
		}
		if err := h.sampleInterval(ctx); err != nil {
			return err
		}
		b, err := h.statSample()
		if err != nil {
			return err
		}
		before := map[string]cpuSample{}
		for _, c := range a.cpus {
			before[c.name] = c
		}
		secs := b.at.Sub(a.at).Seconds()
		for _, c := range b.cpus {
			prev, ok := before[c.name]
			if !ok {
				prev = c // a processor that came online: no time yet
			}
			ips := cim.Null
			if c.name == "_Total" && secs > 0 && b.intr >= a.intr {
				ips = cim.Uint32(uint32(float64(b.intr-a.intr)/secs + 0.5))
			}
			if err := emit(formatProcessor(class, prev, c, ips)); err != nil {
				return err
			}
		}
		return nil
	}}
}

// MaxKVFile bounds how much of /proc/meminfo or /proc/vmstat is read.
const MaxKVFile = 1 << 20

// parseKV reads "name value" and "name: value kB" lines (/proc/vmstat,
// /proc/meminfo): values in kB are turned into bytes. Malformed lines are
// skipped.
func parseKV(b []byte) map[string]uint64 {
	out := map[string]uint64{}
	for line := range bytes.Lines(b) {
		f := strings.Fields(string(line))
		if len(f) < 2 {
			continue
		}
		name := strings.TrimSuffix(f[0], ":")
		v, err := strconv.ParseUint(f[1], 10, 64)
		if err != nil || name == "" {
			continue
		}
		if len(f) >= 3 && f[2] == "kB" {
			if v > (1<<64-1)/1024 {
				continue
			}
			v *= 1024
		}
		out[name] = v
	}
	return out
}

func (h *host) readKV(p string) map[string]uint64 {
	b, err := readInto(nil, h.cfg.path(p), MaxKVFile)
	if err != nil {
		return nil
	}
	return parseKV(b)
}

// newPerfMemoryProvider serves the singleton
// Win32_PerfFormattedData_PerfOS_Memory: sizes from /proc/meminfo, rates
// from two /proc/vmstat samples Config.LoadInterval apart.
func newPerfMemoryProvider(h *host) *listProvider {
	return &listProvider{h: h, list: func(ctx context.Context, class *cim.Class, emit func(*cim.Instance) error) error {
		v1, t1 := h.readKV("/proc/vmstat"), time.Now()
		if err := h.sampleInterval(ctx); err != nil {
			return err
		}
		v2, t2 := h.readKV("/proc/vmstat"), time.Now()
		m := h.readKV("/proc/meminfo")
		if m == nil {
			return &cim.Error{Status: cim.WBEM_E_PROVIDER_FAILURE, Description: "cannot read /proc/meminfo"}
		}
		r := newRow(class)
		get := func(k string) (uint64, bool) { v, ok := m[k]; return v, ok }
		avail, ok := get("MemAvailable")
		if !ok {
			avail, ok = get("MemFree")
		}
		if ok {
			r.set("AvailableBytes", cim.Uint64(avail)).
				set("AvailableKBytes", cim.Uint64(avail>>10)).
				set("AvailableMBytes", cim.Uint64(avail>>20))
		}
		if v, ok := get("Committed_AS"); ok {
			r.set("CommittedBytes", cim.Uint64(v))
			if lim, ok := get("CommitLimit"); ok {
				r.set("CommitLimit", cim.Uint64(lim)).set("PercentCommittedBytesInUse", percent(min(v, lim), lim))
			}
		}
		if v, ok := get("Cached"); ok {
			r.set("CacheBytes", cim.Uint64(v))
		}
		if v, ok := get("MemFree"); ok {
			r.set("FreeAndZeroPageListBytes", cim.Uint64(v))
		}
		if v, ok := get("SUnreclaim"); ok {
			r.set("PoolNonpagedBytes", cim.Uint64(v))
		}
		if v, ok := get("SReclaimable"); ok {
			r.set("PoolPagedBytes", cim.Uint64(v))
		}
		secs := t2.Sub(t1).Seconds()
		rate := func(names ...string) cim.Value {
			if v1 == nil || v2 == nil || secs <= 0 {
				return cim.Null
			}
			var d uint64
			for _, n := range names {
				a, ok1 := v1[n]
				b, ok2 := v2[n]
				if !ok1 || !ok2 || b < a {
					return cim.Null
				}
				d += b - a
			}
			return cim.Uint32(uint32(float64(d)/secs + 0.5))
		}
		r.set("PageFaultsPerSec", rate("pgfault")).
			set("PagesInputPerSec", rate("pswpin")).
			set("PagesOutputPerSec", rate("pswpout")).
			set("PagesPerSec", rate("pswpin", "pswpout")).
			set("PageReadsPerSec", rate("pgmajfault"))
		return emit(r.inst)
	}}
}
