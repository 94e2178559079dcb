//go:build linux

package host

import (
	"context"
	"embed"
	"io/fs"
	"log/slog"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/mof"
	"github.com/gowbem/gowbem/provider"
)

//go:embed mof/*.mof
var mofFiles embed.FS

// MOF holds gowbem's own MOF for the host classes: MOFFile includes the CIM
// parents (cim.mof) and the Win32 classes (win32.mof).
var MOF fs.FS = mustSub(mofFiles, "mof")

// MOFFile is the top file of MOF, the one to compile.
const MOFFile = "host.mof"

// Namespace is where Install compiles the classes.
const Namespace = cim.DefaultNamespace

// The provider names the classes give in their Provider qualifier.
const (
	ProviderOperatingSystem = "HostOperatingSystem" // Win32_OperatingSystem
	ProviderComputerSystem  = "HostComputerSystem"  // Win32_ComputerSystem
	ProviderProcess         = "HostProcess"         // Win32_Process
	ProviderLogicalDisk     = "HostLogicalDisk"     // Win32_LogicalDisk
	ProviderProcessor       = "HostProcessor"       // Win32_Processor
	ProviderService         = "HostService"         // Win32_Service

	ProviderNetworkAdapter       = "HostNetworkAdapter"              // Win32_NetworkAdapter
	ProviderNetworkAdapterConfig = "HostNetworkAdapterConfiguration" // Win32_NetworkAdapterConfiguration
	ProviderIP4RouteTable        = "HostIP4RouteTable"               // Win32_IP4RouteTable

	ProviderDiskDrive     = "HostDiskDrive"     // Win32_DiskDrive
	ProviderDiskPartition = "HostDiskPartition" // Win32_DiskPartition
	ProviderVolume        = "HostVolume"        // Win32_Volume
	ProviderDirectory     = "HostDirectory"     // Win32_Directory (mount points)

	ProviderBIOS                  = "HostBIOS"                  // Win32_BIOS
	ProviderBaseBoard             = "HostBaseBoard"             // Win32_BaseBoard
	ProviderComputerSystemProduct = "HostComputerSystemProduct" // Win32_ComputerSystemProduct
	ProviderPhysicalMemory        = "HostPhysicalMemory"        // Win32_PhysicalMemory

	ProviderUserAccount  = "HostUserAccount"  // Win32_UserAccount
	ProviderGroup        = "HostGroup"        // Win32_Group
	ProviderGroupUser    = "HostGroupUser"    // Win32_GroupUser
	ProviderLogonSession = "HostLogonSession" // Win32_LogonSession
	ProviderLoggedOnUser = "HostLoggedOnUser" // Win32_LoggedOnUser
	ProviderEnvironment  = "HostEnvironment"  // Win32_Environment

	ProviderPerfRawProcessor       = "HostPerfRawProcessor"       // Win32_PerfRawData_PerfOS_Processor
	ProviderPerfFormattedProcessor = "HostPerfFormattedProcessor" // Win32_PerfFormattedData_PerfOS_Processor
	ProviderPerfMemory             = "HostPerfMemory"             // Win32_PerfFormattedData_PerfOS_Memory

	ProviderSystemProcesses          = "HostSystemProcesses"          // Win32_SystemProcesses
	ProviderSystemServices           = "HostSystemServices"           // Win32_SystemServices
	ProviderDependentService         = "HostDependentService"         // Win32_DependentService
	ProviderDiskDriveToDiskPartition = "HostDiskDriveToDiskPartition" // Win32_DiskDriveToDiskPartition
	ProviderLogicalDiskToPartition   = "HostLogicalDiskToPartition"   // Win32_LogicalDiskToPartition
	ProviderMountPoint               = "HostMountPoint"               // Win32_MountPoint
	ProviderNetworkAdapterSetting    = "HostNetworkAdapterSetting"    // Win32_NetworkAdapterSetting
	ProviderDataFile                 = "HostDataFile"                 // CIM_DataFile (executables of processes)
	ProviderProcessExecutable        = "HostProcessExecutable"        // CIM_ProcessExecutable

	ProviderProcessTrace = "HostProcessTrace" // Win32_ProcessStartTrace, Win32_ProcessStopTrace
	ProviderServiceEvent = "HostServiceEvent" // Gowbem_ServiceStateChangeEvent
	ProviderVolumeEvent  = "HostVolumeEvent"  // Win32_VolumeChangeEvent
)

func mustSub(f fs.FS, dir string) fs.FS {
	s, err := fs.Sub(f, dir)
	if err != nil {
		panic(err)
	}
	return s
}

// PowerAction is what Win32_OperatingSystem's Reboot and Shutdown ask for.
type PowerAction int

// The power actions.
const (
	PowerReboot PowerAction = iota + 1
	PowerOff
)

// String names the action.
func (a PowerAction) String() string {
	switch a {
	case PowerReboot:
		return "reboot"
	case PowerOff:
		return "shutdown"
	}
	return "unknown"
}

// Config switches the providers' dangerous or environment-dependent parts.
// The zero Config reads the real host and allows nothing that changes it
// except Win32_Process.Terminate, which WMI also allows to whoever may
// signal the process.
type Config struct {
	// Root stands for "/" when reading the kernel's and the system's files
	// (/proc, /sys, /etc/os-release, /etc/passwd, /var/run/utmp, /dev/disk).
	// "" means "/". Tests point it at a fixture tree.
	Root string

	// AllowPower lets Reboot and Shutdown act; without it they return
	// ReturnPrivilegeNotHeld (1314). Power performs the action; nil means
	// sync(2) then reboot(2), which a test must never reach.
	AllowPower bool
	Power      func(ctx context.Context, action PowerAction) error

	// AllowCreate lets Win32_Process.Create start processes; without it
	// Create returns 2 (access denied).
	AllowCreate bool
	// DenyTerminate makes Win32_Process.Terminate return 2 (access denied).
	DenyTerminate bool
	// TerminateSignal is what Terminate sends; 0 means SIGKILL, as WMI's
	// TerminateProcess gives the process no chance to clean up.
	TerminateSignal syscall.Signal

	// VolumePaths are the directories (or exact paths) under which a caller
	// may address an unmounted volume by its device or image path as
	// Win32_LogicalDisk.DeviceID. nil means {"/dev"}: block devices only, so
	// that a remote caller cannot probe arbitrary files.
	VolumePaths []string
	// E2fsck is the path of e2fsck; "" looks it up in $PATH, /usr/sbin and
	// /sbin.
	E2fsck string
	// ScheduleBootCheck lets Chkdsk with OKToRunAtBootUp on a mounted volume
	// create BootCheckFile, which asks the boot to check file systems.
	ScheduleBootCheck bool
	// BootCheckFile is the file that schedules the check; "" means
	// /forcefsck (honoured by sysvinit's checkfs and by systemd-fsck).
	BootCheckFile string

	// LoadInterval is how long Win32_Processor waits between its two
	// /proc/stat samples for LoadPercentage; 0 means DefaultLoadInterval.
	LoadInterval time.Duration

	// Systemd is the D-Bus address of systemd's private socket
	// ("unix:path=/run/systemd/private"); "" means that socket when the
	// daemon runs as root and it exists, else the system bus.
	Systemd string
	// AllowServiceControl lets Win32_Service's StartService, StopService,
	// PauseService, ResumeService and ChangeStartMode act; without it they
	// return 2 (access denied).
	AllowServiceControl bool
	// ServiceRuntimeChanges makes ChangeStartMode change the start mode
	// until the next boot only (systemctl's --runtime: links under
	// /run/systemd) instead of under /etc/systemd.
	ServiceRuntimeChanges bool
	// ServiceJobTimeout bounds the wait of StartService and StopService for
	// systemd's job; 0 means DefaultServiceJobTimeout.
	ServiceJobTimeout time.Duration

	// EventPollInterval is how often the host's event watchers poll where
	// the kernel cannot tell them of changes; 0 means
	// DefaultEventPollInterval.
	EventPollInterval time.Duration
	// PollProcesses makes the process events poll /proc even where the
	// kernel's process events connector could be used.
	PollProcesses bool

	// DaemonEnvironment adds the daemon's own environment variables to
	// Win32_Environment (UserName "<computer>\\<user>"). Off by default:
	// a daemon's environment may hold secrets.
	DaemonEnvironment bool

	// Logger receives what the providers have to say (a service manager
	// that does not answer, a refused control); nil means slog.Default().
	Logger *slog.Logger
}

// DefaultLoadInterval is the wait between the two samples of LoadPercentage.
const DefaultLoadInterval = 200 * time.Millisecond

func (c *Config) path(p string) string {
	if c.Root == "" || c.Root == "/" {
		return p
	}
	return filepath.Join(c.Root, p)
}

// Providers returns the host providers of cfg by the names the classes give
// in their Provider qualifier.
func Providers(cfg Config) map[string]provider.InstanceProvider {
	return newHost(cfg).instanceProviders()
}

// EventProviders returns the host's event providers of cfg (the extrinsic
// events Win32_ProcessStartTrace, Win32_ProcessStopTrace,
// Win32_VolumeChangeEvent and Gowbem_ServiceStateChangeEvent) by the names
// their classes give.
func EventProviders(cfg Config) map[string]provider.EventProvider {
	return newHost(cfg).eventProviders()
}

func (h *host) eventProviders() map[string]provider.EventProvider {
	return map[string]provider.EventProvider{
		ProviderProcessTrace: &ProcessTraceProvider{h: h},
		ProviderServiceEvent: &ServiceEventProvider{h: h},
		ProviderVolumeEvent:  &VolumeEventProvider{h: h},
	}
}

func (h *host) instanceProviders() map[string]provider.InstanceProvider {
	return map[string]provider.InstanceProvider{
		ProviderOperatingSystem: &OperatingSystemProvider{h: h},
		ProviderComputerSystem:  &ComputerSystemProvider{h: h},
		ProviderProcess:         &ProcessProvider{h: h},
		ProviderLogicalDisk:     &LogicalDiskProvider{h: h},
		ProviderProcessor:       &ProcessorProvider{h: h},
		ProviderService:         &ServiceProvider{h: h},

		ProviderNetworkAdapter:       newNetworkAdapterProvider(h),
		ProviderNetworkAdapterConfig: newAdapterConfigProvider(h),
		ProviderIP4RouteTable:        newRouteProvider(h),

		ProviderDiskDrive:     newDiskDriveProvider(h),
		ProviderDiskPartition: newDiskPartitionProvider(h),
		ProviderVolume:        newVolumeProvider(h),
		ProviderDirectory:     newDirectoryProvider(h),

		ProviderBIOS:                  newBIOSProvider(h),
		ProviderBaseBoard:             newBaseBoardProvider(h),
		ProviderComputerSystemProduct: newComputerSystemProductProvider(h),
		ProviderPhysicalMemory:        newPhysicalMemoryProvider(h),

		ProviderUserAccount:  newUserAccountProvider(h),
		ProviderGroup:        newGroupProvider(h),
		ProviderGroupUser:    newGroupUser(h),
		ProviderLogonSession: newLogonSessionProvider(h),
		ProviderLoggedOnUser: newLoggedOnUser(h),
		ProviderEnvironment:  newEnvironmentProvider(h),

		ProviderPerfRawProcessor:       newPerfRawProcessorProvider(h),
		ProviderPerfFormattedProcessor: newPerfFormattedProcessorProvider(h),
		ProviderPerfMemory:             newPerfMemoryProvider(h),

		ProviderSystemProcesses:          newSystemProcesses(h),
		ProviderSystemServices:           newSystemServices(h),
		ProviderDependentService:         newDependentService(h),
		ProviderDiskDriveToDiskPartition: newDiskDriveToDiskPartition(h),
		ProviderLogicalDiskToPartition:   newLogicalDiskToPartition(h),
		ProviderMountPoint:               newMountPoint(h),
		ProviderNetworkAdapterSetting:    newNetworkAdapterSetting(h),
		ProviderDataFile:                 newDataFileProvider(h),
		ProviderProcessExecutable:        newProcessExecutable(h),
	}
}

// ObjectManager is what Install needs of an object manager (cimom's
// *ObjectManager has these methods); it is declared here because providers
// never import the object manager.
type ObjectManager interface {
	// CompileMOF compiles name of fsys into namespace and applies it.
	CompileMOF(ctx context.Context, fsys fs.FS, name, namespace string) (*mof.Plan, error)
	// RegisterProvider registers p under name.
	RegisterProvider(name string, p provider.InstanceProvider)
	// RegisterEventProvider registers an event provider under name.
	RegisterEventProvider(name string, p provider.EventProvider)
}

// Install compiles the host classes into root\cimv2 of om and registers the
// providers of cfg.
func Install(ctx context.Context, om ObjectManager, cfg Config) error {
	if _, err := om.CompileMOF(ctx, MOF, MOFFile, Namespace); err != nil {
		return err
	}
	h := newHost(cfg)
	for name, p := range h.instanceProviders() {
		om.RegisterProvider(name, p)
	}
	for name, p := range h.eventProviders() {
		om.RegisterEventProvider(name, p)
	}
	return nil
}

// host is what the providers share: the configuration and a short-lived
// cache of the facts every process instance repeats.
type host struct {
	cfg   Config
	sd    systemd
	procs procHub

	mu      sync.Mutex
	cached  facts
	expires time.Time
}

func newHost(cfg Config) *host {
	h := &host{cfg: cfg}
	h.sd.h = h
	return h
}

func (h *host) log() *slog.Logger {
	if h.cfg.Logger != nil {
		return h.cfg.Logger
	}
	return slog.Default()
}

// FactsTTL is how long the providers reuse the host name, kernel release,
// boot time and operating system name they put in every Win32_Process
// (CSName, WindowsVersion, CreationDate, OSName) before reading them again.
const FactsTTL = time.Second

// facts are the values every process instance repeats.
type facts struct {
	hostname, kernel, osName string
	boot                     time.Time
}

func (h *host) facts() facts {
	h.mu.Lock()
	defer h.mu.Unlock()
	if now := time.Now(); now.Before(h.expires) {
		return h.cached
	} else {
		h.expires = now.Add(FactsTTL)
	}
	f := facts{hostname: h.hostname(), kernel: h.kernelRelease(), osName: h.osName()}
	f.boot, _ = h.bootTime()
	h.cached = f
	return f
}

// hostname returns the computer's name.
func (h *host) hostname() string {
	if b, err := readSmall(h.cfg.path("/proc/sys/kernel/hostname")); err == nil && len(b) > 0 {
		return trimNL(string(b))
	}
	return ""
}
