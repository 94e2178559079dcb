//go:build linux

package host

import (
	"bytes"
	"context"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/provider"
)

// ProcessorProvider serves Win32_Processor: one instance per processor
// package (socket), DeviceID "CPU<n>" in the order of the packages'
// physical ids, as WMI counts sockets.
type ProcessorProvider struct{ h *host }

// cpuInfo is one processor block of /proc/cpuinfo.
type cpuInfo struct {
	n                     int // "processor"
	physID                int
	coreID                int
	vendor, model         string
	family, modelNo, step string
	mhz                   float64
	cacheKB               int
	cores                 int
}

// cpuinfo parses /proc/cpuinfo. Architectures that give no physical id put
// every processor in package 0.
func (h *host) cpuinfo() ([]cpuInfo, error) {
	b, err := readSmall(h.cfg.path("/proc/cpuinfo"))
	if err != nil {
		return nil, err
	}
	var out []cpuInfo
	for block := range strings.SplitSeq(string(b), "\n\n") {
		c := cpuInfo{n: -1, coreID: -1}
		for line := range strings.SplitSeq(block, "\n") {
			k, v, ok := strings.Cut(line, ":")
			if !ok {
				continue
			}
			k, v = strings.TrimSpace(k), strings.TrimSpace(v)
			switch k {
			case "processor":
				c.n, _ = strconv.Atoi(v)
			case "physical id":
				c.physID, _ = strconv.Atoi(v)
			case "core id":
				c.coreID, _ = strconv.Atoi(v)
			case "vendor_id", "CPU implementer":
				if c.vendor == "" {
					c.vendor = v
				}
			case "model name", "Processor", "cpu model":
				if c.model == "" {
					c.model = v
				}
			case "cpu family":
				c.family = v
			case "model":
				c.modelNo = v
			case "stepping":
				c.step = v
			case "cpu MHz":
				c.mhz, _ = strconv.ParseFloat(v, 64)
			case "cache size":
				f := strings.Fields(v)
				if len(f) > 0 {
					c.cacheKB, _ = strconv.Atoi(f[0])
				}
			case "cpu cores":
				c.cores, _ = strconv.Atoi(v)
			}
		}
		if c.n >= 0 {
			out = append(out, c)
		}
	}
	return out, nil
}

// packages groups processors by physical id, in id order.
func packages(cpus []cpuInfo) [][]cpuInfo {
	by := map[int][]cpuInfo{}
	var ids []int
	for _, c := range cpus {
		if _, ok := by[c.physID]; !ok {
			ids = append(ids, c.physID)
		}
		by[c.physID] = append(by[c.physID], c)
	}
	slices.Sort(ids)
	out := make([][]cpuInfo, len(ids))
	for i, id := range ids {
		out[i] = by[id]
	}
	return out
}

// cpuTimes reads the per-processor lines of /proc/stat: busy and total
// ticks by processor number.
func (h *host) cpuTimes() (map[int][2]uint64, error) {
	b, err := readSmall(h.cfg.path("/proc/stat"))
	if err != nil {
		return nil, err
	}
	out := map[int][2]uint64{}
	for line := range bytes.Lines(b) {
		if !bytes.HasPrefix(line, []byte("cpu")) || len(line) < 4 || line[3] < '0' || line[3] > '9' {
			continue
		}
		f := strings.Fields(string(line))
		n, err := strconv.Atoi(f[0][3:])
		if err != nil {
			continue
		}
		var total, idle uint64
		for i, s := range f[1:] {
			if i >= 8 { // guest times are already counted in user and nice
				break
			}
			v, _ := strconv.ParseUint(s, 10, 64)
			total += v
			if i == 3 || i == 4 { // idle, iowait
				idle += v
			}
		}
		out[n] = [2]uint64{total - idle, total}
	}
	return out, nil
}

// load samples /proc/stat twice, Config.LoadInterval apart, and returns the
// busy percentage of each package; it returns early with ctx's error.
func (h *host) load(ctx context.Context, pkgs [][]cpuInfo) ([]int, bool, error) {
	a, err := h.cpuTimes()
	if err != nil {
		return nil, false, nil
	}
	d := h.cfg.LoadInterval
	if d <= 0 {
		d = DefaultLoadInterval
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return nil, false, ctx.Err()
	case <-t.C:
	}
	b, err := h.cpuTimes()
	if err != nil {
		return nil, false, nil
	}
	out := make([]int, len(pkgs))
	for i, pkg := range pkgs {
		var busy, total uint64
		for _, c := range pkg {
			x, y := a[c.n], b[c.n]
			if y[1] >= x[1] && y[0] >= x[0] {
				busy += y[0] - x[0]
				total += y[1] - x[1]
			}
		}
		if total > 0 {
			out[i] = int((busy*100 + total/2) / total)
		}
	}
	return out, true, nil
}

var cpuProps = []string{
	"DeviceID", "Name", "Caption", "Description", "Manufacturer", "NumberOfCores",
	"NumberOfLogicalProcessors", "ThreadCount", "MaxClockSpeed", "CurrentClockSpeed",
	"LoadPercentage", "Architecture", "AddressWidth", "DataWidth", "ProcessorType",
	"ProcessorId", "L2CacheSize", "SocketDesignation", "Role", "Stepping", "Status",
	"CreationClassName", "SystemCreationClassName", "SystemName",
}

// EnumerateInstances emits one instance per package. LoadPercentage costs
// one LoadInterval wait for the whole enumeration.
func (p *ProcessorProvider) EnumerateInstances(ctx context.Context, class *cim.Class, out provider.Emitter) error {
	return p.each(ctx, class, "", out.Emit)
}

// GetInstance returns the package the path's DeviceID names.
func (p *ProcessorProvider) GetInstance(ctx context.Context, class *cim.Class, path cim.ObjectPath) (*cim.Instance, error) {
	id, _ := keyString(path, "DeviceID")
	var found *cim.Instance
	err := p.each(ctx, class, id, func(inst *cim.Instance) error { found = inst; return nil })
	if err != nil {
		return nil, err
	}
	if found == nil {
		return nil, notFound(path)
	}
	return found, nil
}

// each builds the instances (only DeviceID only, when only != "").
func (p *ProcessorProvider) each(ctx context.Context, class *cim.Class, only string, emit func(*cim.Instance) error) error {
	h := p.h
	cpus, err := h.cpuinfo()
	if err != nil {
		return &cim.Error{Status: cim.WBEM_E_PROVIDER_FAILURE, Description: "cannot read /proc/cpuinfo: " + err.Error(), Err: err}
	}
	pkgs := packages(cpus)
	sel := -1
	if only != "" {
		for i := range pkgs {
			if cim.EqualFold(only, "CPU"+strconv.Itoa(i)) {
				sel = i
			}
		}
		if sel < 0 {
			return nil
		}
	}
	loads, loadOK, err := h.load(ctx, pkgs)
	if err != nil {
		return err
	}
	ix := indexes(class, cpuProps)
	sys := h.hostname()
	for i, pkg := range pkgs {
		if sel >= 0 && i != sel {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		c := pkg[0]
		inst := class.NewInstance()
		v := []cim.Value{
			cim.String("CPU" + strconv.Itoa(i)), str(c.model), str(c.model), str(c.model), str(c.vendor),
			cim.Uint32(uint32(cores(pkg))), cim.Uint32(uint32(len(pkg))), cim.Uint32(uint32(len(pkg))),
			cim.Null, cim.Null, cim.Null,
			cim.Null, cim.Null, cim.Null, cim.Uint16(3),
			str(processorID(c)), cim.Null, cim.String("CPU" + strconv.Itoa(i)), cim.String("CPU"), str(c.step), cim.String("OK"),
			cim.String(class.Name), cim.String("Win32_ComputerSystem"), str(sys),
		}
		if mx, cur := h.clockSpeeds(c); mx > 0 {
			v[8] = cim.Uint32(uint32(mx))
			v[9] = cim.Uint32(uint32(cur))
		}
		if loadOK {
			v[10] = cim.Uint16(uint16(loads[i]))
		}
		if arch, width, ok := architecture(runtime.GOARCH); ok {
			v[11], v[12], v[13] = cim.Uint16(arch), cim.Uint16(width), cim.Uint16(width)
		}
		if kb := h.l2CacheKB(c.n); kb > 0 {
			v[16] = cim.Uint32(uint32(kb))
		}
		for j, val := range v {
			put(inst, ix[j], val)
		}
		if err := emit(inst); err != nil {
			return err
		}
	}
	return nil
}

// cores counts the distinct core ids of a package ("cpu cores" when the
// kernel gives no core ids).
func cores(pkg []cpuInfo) int {
	ids := map[int]bool{}
	for _, c := range pkg {
		if c.coreID >= 0 {
			ids[c.coreID] = true
		}
	}
	if len(ids) > 0 {
		return len(ids)
	}
	if pkg[0].cores > 0 {
		return pkg[0].cores
	}
	return len(pkg)
}

// clockSpeeds returns the maximum and current clock in MHz from cpufreq,
// else both from the "cpu MHz" of /proc/cpuinfo.
func (h *host) clockSpeeds(c cpuInfo) (maxMHz, curMHz int) {
	dir := h.cfg.path(fmt.Sprintf("/sys/devices/system/cpu/cpu%d/cpufreq", c.n)) + "/"
	if khz, err := strconv.Atoi(readLine(dir + "cpuinfo_max_freq")); err == nil && khz > 0 {
		maxMHz = khz / 1000
		curMHz = maxMHz
		if cur, err := strconv.Atoi(readLine(dir + "scaling_cur_freq")); err == nil && cur > 0 {
			curMHz = cur / 1000
		}
		return maxMHz, curMHz
	}
	m := int(c.mhz + 0.5)
	return m, m
}

// l2CacheKB reads the size of the level-2 cache of processor n from sysfs.
func (h *host) l2CacheKB(n int) int {
	for i := range 8 {
		dir := h.cfg.path(fmt.Sprintf("/sys/devices/system/cpu/cpu%d/cache/index%d", n, i)) + "/"
		lvl := readLine(dir + "level")
		if lvl == "" {
			return 0
		}
		if lvl == "2" {
			s := readLine(dir + "size")
			kb, _ := strconv.Atoi(strings.TrimSuffix(s, "K"))
			return kb
		}
	}
	return 0
}

// processorID writes family, model and stepping as one hex identifier.
func processorID(c cpuInfo) string {
	if c.family == "" {
		return ""
	}
	f, _ := strconv.Atoi(c.family)
	m, _ := strconv.Atoi(c.modelNo)
	s, _ := strconv.Atoi(c.step)
	return fmt.Sprintf("%04X%02X%02X", f, m, s)
}

// architecture gives WMI's Architecture code and the address width.
func architecture(goarch string) (code, width uint16, ok bool) {
	switch goarch {
	case "386":
		return 0, 32, true
	case "amd64":
		return 9, 64, true
	case "arm":
		return 5, 32, true
	case "arm64":
		return 12, 64, true
	case "ppc64", "ppc64le":
		return 3, 64, true
	case "mips", "mipsle":
		return 1, 32, true
	}
	return 0, 0, false
}
