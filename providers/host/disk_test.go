//go:build linux

package host_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/provider"
	"github.com/gowbem/gowbem/providers/host"
)

// needTool returns the path of a tool the test needs, skipping when it is
// absent unless GOWBEM_REQUIRE_ALL=1.
func needTool(t *testing.T, name string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, d := range []string{"/usr/sbin", "/sbin"} {
		if p := filepath.Join(d, name); fileExists(p) {
			return p
		}
	}
	if os.Getenv("GOWBEM_REQUIRE_ALL") == "1" {
		t.Fatalf("%s is missing (apt package e2fsprogs) and GOWBEM_REQUIRE_ALL=1", name)
	}
	t.Skipf("%s is missing: install the e2fsprogs package", name)
	return ""
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// mountOf returns the mount point of the file system holding path, from
// /proc/self/mountinfo (the longest mount point that prefixes it).
func mountOf(t *testing.T, path string) string {
	t.Helper()
	path, err := filepath.EvalSymlinks(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	best := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fl := strings.Fields(sc.Text())
		if len(fl) < 5 {
			continue
		}
		mp := strings.ReplaceAll(fl[4], `\040`, " ")
		if (path == mp || strings.HasPrefix(path, strings.TrimSuffix(mp, "/")+"/")) && len(mp) >= len(best) {
			best = mp
		}
	}
	return best
}

func TestLiveDiskAgreesWithStatfs(t *testing.T) {
	svc := newOM(t, host.Config{})
	mp := mountOf(t, os.TempDir())
	inst, err := getObject(t, svc, `Win32_LogicalDisk.DeviceID="`+mp+`"`)
	if err != nil {
		t.Fatal(err)
	}
	var st syscall.Statfs_t
	if err := syscall.Statfs(mp, &st); err != nil {
		t.Fatal(err)
	}
	bs := uint64(st.Bsize)
	if got, want := inst.Value("Size").Uint(), st.Blocks*bs; got != want {
		t.Errorf("Size of %s = %d, statfs says %d", mp, got, want)
	}
	// Other programs (the whole team's tests share this disk) write between
	// the provider's statfs and ours: free space agrees within 256 MiB.
	if got, want := inst.Value("FreeSpace").Uint(), st.Bavail*bs; diff(got, want) > 256<<20 {
		t.Errorf("FreeSpace of %s = %d, statfs says %d", mp, got, want)
	}
	if inst.Value("FileSystem").IsNull() || inst.Value("DriveType").IsNull() {
		t.Errorf("FileSystem/DriveType NULL: %v", inst)
	}
	// The enumeration lists it, and no kernel interface file system.
	seen := false
	for _, d := range enumerate(t, svc, "Win32_LogicalDisk") {
		id := d.Value("DeviceID").Str()
		seen = seen || id == mp
		switch d.Value("FileSystem").Str() {
		case "proc", "sysfs", "cgroup", "cgroup2", "devpts", "devtmpfs":
			t.Errorf("pseudo file system listed: %s", id)
		}
	}
	if !seen {
		t.Errorf("enumeration misses %s", mp)
	}
	// CIM_LogicalDisk finds it by polymorphism.
	if len(enumerate(t, svc, "CIM_LogicalDisk")) == 0 {
		t.Error("CIM_LogicalDisk deep is empty")
	}
}

func TestChkdskMounted(t *testing.T) {
	dir := t.TempDir()
	flag := filepath.Join(dir, "forcefsck")
	cases := []struct {
		name     string
		cfg      host.Config
		atBoot   bool
		schedule bool
	}{
		{"plain", host.Config{}, false, false},
		{"boot asked, config refuses", host.Config{BootCheckFile: flag}, true, false},
		{"config allows, not asked", host.Config{ScheduleBootCheck: true, BootCheckFile: flag}, false, false},
		{"both", host.Config{ScheduleBootCheck: true, BootCheckFile: flag}, true, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			os.Remove(flag)
			svc := newOM(t, tc.cfg)
			out := call(t, svc, `Win32_LogicalDisk.DeviceID="/"`, "Chkdsk", map[string]cim.Value{
				"FixErrors": cim.Bool(true), "OKToRunAtBootUp": cim.Bool(tc.atBoot)})
			checkProps(t, out, map[string]any{"ReturnValue": "1"})
			if fileExists(flag) != tc.schedule {
				t.Errorf("schedule file exists = %v, want %v", fileExists(flag), tc.schedule)
			}
		})
	}
	// A RAM disk has nothing to check: unsupported.
	svc := newOM(t, host.Config{})
	for _, d := range enumerate(t, svc, "Win32_LogicalDisk") {
		if d.Value("FileSystem").Str() == "tmpfs" {
			out := call(t, svc, d.ObjectPath().RelPath(), "Chkdsk", nil)
			checkProps(t, out, map[string]any{"ReturnValue": "4"})
			break
		}
	}
}

// makeExt4 makes an 8 MiB ext4 image in dir.
func makeExt4(t *testing.T, dir string) string {
	t.Helper()
	mkfs := needTool(t, "mkfs.ext4")
	needTool(t, "e2fsck")
	img := filepath.Join(dir, "vol.img")
	if out, err := exec.Command(mkfs, "-F", "-q", "-L", "gowbem", img, "8M").CombinedOutput(); err != nil {
		t.Fatalf("mkfs.ext4: %v\n%s", err, out)
	}
	return img
}

// corruptRootInode zeroes inode 2 (the root directory) in the inode table
// of the first block group, as a stray write would.
func corruptRootInode(t *testing.T, img string) {
	t.Helper()
	f, err := os.OpenFile(img, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sb := make([]byte, 1024)
	if _, err := f.ReadAt(sb, 1024); err != nil {
		t.Fatal(err)
	}
	le := binary.LittleEndian
	bs := int64(1024) << le.Uint32(sb[0x18:])
	first := int64(le.Uint32(sb[0x14:]))
	inodeSize := int64(le.Uint16(sb[0x58:]))
	gd := make([]byte, 64)
	if _, err := f.ReadAt(gd, (first+1)*bs); err != nil {
		t.Fatal(err)
	}
	table := int64(le.Uint32(gd[8:]))
	if _, err := f.WriteAt(make([]byte, inodeSize), table*bs+inodeSize); err != nil {
		t.Fatal(err)
	}
}

func TestChkdskImage(t *testing.T) {
	dir := t.TempDir()
	img := makeExt4(t, dir)
	svc := newOM(t, host.Config{VolumePaths: []string{dir}})
	path := `Win32_LogicalDisk.DeviceID="` + img + `"`

	inst, err := getObject(t, svc, path)
	if err != nil {
		t.Fatal(err)
	}
	checkProps(t, inst, map[string]any{"DeviceID": img, "FileSystem": "ext4", "Size": "8388608",
		"VolumeName": "gowbem", "VolumeDirty": "false", "Description": "Unmounted Volume", "BlockSize": "1024"})
	for _, d := range enumerate(t, svc, "Win32_LogicalDisk") {
		if d.Value("DeviceID").Str() == img {
			t.Error("an unmounted image is listed by the enumeration")
		}
	}

	run := func(fix bool) string {
		out := call(t, svc, path, "Chkdsk", map[string]cim.Value{"FixErrors": cim.Bool(fix)})
		return out.Value("ReturnValue").Text()
	}
	if rv := run(false); rv != "0" {
		t.Fatalf("clean volume: ReturnValue %s, want 0", rv)
	}
	corruptRootInode(t, img)
	if rv := run(false); rv != "3" {
		t.Fatalf("damaged volume, read-only check: ReturnValue %s, want 3 (errors left unrepaired)", rv)
	}
	if rv := run(true); rv != "0" {
		t.Fatalf("damaged volume, FixErrors: ReturnValue %s, want 0 (repaired)", rv)
	}
	if rv := run(false); rv != "0" {
		t.Fatalf("repaired volume: ReturnValue %s, want 0", rv)
	}
}

func TestUnmountedVolumeAddressing(t *testing.T) {
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.img")
	if err := os.WriteFile(junk, make([]byte, 1<<16), 0o600); err != nil {
		t.Fatal(err)
	}
	outside := filepath.Join(t.TempDir(), "secret")
	os.WriteFile(outside, []byte("x"), 0o600)
	link := filepath.Join(dir, "link.img")
	os.Symlink(outside, link)
	os.Mkdir(filepath.Join(dir, "sub"), 0o700)

	svc := newOM(t, host.Config{VolumePaths: []string{dir}})
	// An unknown file system: the instance exists, Chkdsk says 2.
	inst, err := getObject(t, svc, `Win32_LogicalDisk.DeviceID="`+junk+`"`)
	if err != nil {
		t.Fatal(err)
	}
	checkProps(t, inst, map[string]any{"FileSystem": nil, "Size": nil})
	out := call(t, svc, `Win32_LogicalDisk.DeviceID="`+junk+`"`, "Chkdsk", nil)
	checkProps(t, out, map[string]any{"ReturnValue": "2"})

	for _, id := range []string{
		outside,                           // not under VolumePaths
		link,                              // a link leading out of them
		filepath.Join(dir, "sub"),         // a directory
		filepath.Join(dir, "missing.img"), // nothing
		dir + "/./junk.img",               // not a clean path
		"junk.img",                        // relative
	} {
		if _, err := getObject(t, svc, `Win32_LogicalDisk.DeviceID="`+id+`"`); cim.StatusOf(err) != cim.WBEM_E_NOT_FOUND {
			t.Errorf("GetObject %q: %v, want WBEM_E_NOT_FOUND", id, err)
		}
	}
	// Without VolumePaths only /dev is open to addressing.
	if _, err := getObject(t, newOM(t, host.Config{}), `Win32_LogicalDisk.DeviceID="`+junk+`"`); cim.StatusOf(err) != cim.WBEM_E_NOT_FOUND {
		t.Errorf("GetObject outside /dev with default config: %v", err)
	}
}

func TestChkdskWithoutChecker(t *testing.T) {
	dir := t.TempDir()
	img := makeExt4(t, dir)
	svc := newOM(t, host.Config{VolumePaths: []string{dir}, E2fsck: filepath.Join(dir, "no-e2fsck")})
	out := call(t, svc, `Win32_LogicalDisk.DeviceID="`+img+`"`, "Chkdsk", nil)
	checkProps(t, out, map[string]any{"ReturnValue": "4"})
}

// Chkdsk passes ctx to e2fsck: a cancelled call returns ctx's error
// instead of a verdict.
func TestChkdskHonoursContext(t *testing.T) {
	dir := t.TempDir()
	img := makeExt4(t, dir)
	prov := host.Providers(host.Config{VolumePaths: []string{dir}})[host.ProviderLogicalDisk].(provider.MethodProvider)
	class := classOf(t, "Win32_LogicalDisk")
	m, _ := class.Method("Chkdsk")
	inClass, outClass := m.ParameterClasses()
	mc := &provider.MethodCall{Class: class, Method: m, In: inClass.NewInstance(), Out: outClass,
		Path: cim.ObjectPath{Class: class.Name, Keys: []cim.KeyBinding{{Name: "DeviceID", Value: cim.String(img)}}}}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if out, err := prov.ExecMethod(ctx, mc); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Chkdsk: %v, %v; want context.Canceled", out, err)
	}
	out, err := prov.ExecMethod(context.Background(), mc)
	if err != nil || out.Value("ReturnValue").Uint() != 0 {
		t.Fatalf("Chkdsk: %v, %v", out, err)
	}
}
