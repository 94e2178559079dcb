// Package host serves the Linux host through WMI's classes: providers for
// Win32_OperatingSystem, Win32_ComputerSystem, Win32_Process,
// Win32_LogicalDisk, Win32_Processor, Win32_Service and the classes listed
// below, and gowbem's own MOF for them and their abstract CIM parents.
//
// # Installing
//
// Install compiles MOF (MOFFile and what it includes) into root\cimv2 of an
// object manager and registers the providers that Providers(cfg) returns,
// by the names the classes give in their Provider qualifier. The package
// sees only the provider contract: Install takes any value with cimom's
// CompileMOF and RegisterProvider methods (the ObjectManager interface).
//
// # Classes
//
// The Win32 classes derive from abstract CIM parents, so that a query on a
// parent finds them by polymorphism (SELECT * FROM CIM_Process returns
// Win32_Process instances):
//
//	CIM_ManagedElement
//	  CIM_ManagedSystemElement
//	    CIM_LogicalElement
//	      CIM_Process              → Win32_Process         key Handle
//	      CIM_LogicalDevice
//	        CIM_StorageExtent
//	          CIM_LogicalDisk      → Win32_LogicalDisk     key DeviceID
//	        CIM_Processor          → Win32_Processor       key DeviceID
//	      CIM_OperatingSystem      → Win32_OperatingSystem key Name
//	      CIM_System
//	        CIM_ComputerSystem     → Win32_ComputerSystem  key Name
//	      CIM_Service
//	        Win32_BaseService
//	          Win32_Service        key Name
//
// DMTF gives these parents compound keys (CIM_Process: CSCreationClassName,
// CSName, OSCreationClassName, OSName, CreationClassName, Handle). WMI keeps
// one of them as the Key and marks the others CIM_Key, so its paths read
// Win32_Process.Handle="4"; gowbem's MOF does the same, and fills every
// CIM_Key property.
//
// # Where the values come from
//
// Nothing is obtained by running a program, except the file system checker
// that Chkdsk runs on purpose.
//
//   - Win32_OperatingSystem: Caption from PRETTY_NAME of /etc/os-release,
//     Name "<Caption>|/|<root device>", Version from
//     /proc/sys/kernel/osrelease, BuildNumber the n of "#n" in
//     /proc/sys/kernel/version, OSArchitecture (and
//     Win32_ComputerSystem.SystemType) from uname(2), SerialNumber from /etc/machine-id,
//     LastBootUpTime from btime of /proc/stat, memory and swap (in KB, as
//     WMI) from /proc/meminfo (FreePhysicalMemory is MemAvailable),
//     NumberOfProcesses by counting /proc, NumberOfUsers from the
//     USER_PROCESS records of /var/run/utmp, MaxNumberOfProcesses from
//     /proc/sys/kernel/pid_max, OSType 36 (LINUX).
//   - Win32_ComputerSystem: Name the host name, Domain the NIS domain or the
//     host name's DNS suffix (PartOfDomain TRUE), else WORKGROUP;
//     Manufacturer, Model and SystemFamily from /sys/class/dmi/id;
//     processors from /proc/cpuinfo; TotalPhysicalMemory (bytes) from
//     /proc/meminfo.
//   - Win32_Process: /proc/<pid>/stat (ParentProcessId, ThreadCount,
//     KernelModeTime and UserModeTime in 100 ns units, VirtualSize,
//     WorkingSetSize, PageFaults, SessionId, ExecutionState, CreationDate =
//     btime + starttime), /proc/<pid>/exe (ExecutablePath; Name is its base
//     name, else the kernel's comm), /proc/<pid>/cmdline (CommandLine,
//     written by JoinCommandLine, cut at MaxCommandLine), and, only when a
//     query selects or tests them, /proc/<pid>/status (PeakVirtualSize,
//     PeakWorkingSetSize) and /proc/<pid>/fd (HandleCount). Priority is
//     20 - nice for normal tasks and 40 + rt_priority for real-time ones, so
//     that higher runs first as in WMI.
//   - Win32_LogicalDisk: /proc/self/mountinfo, statfs(2) (Size, FreeSpace =
//     space available to unprivileged users, BlockSize, NumberOfBlocks,
//     MaximumComponentLength), /dev/disk/by-label and by-uuid (VolumeName,
//     VolumeSerialNumber), /sys/class/block/*/removable (DriveType 2).
//   - Win32_Processor: one instance per package (physical id) of
//     /proc/cpuinfo, DeviceID CPU0, CPU1…; MaxClockSpeed and
//     CurrentClockSpeed from cpufreq, else "cpu MHz"; L2CacheSize from
//     sysfs; LoadPercentage from two /proc/stat samples Config.LoadInterval
//     apart (one wait per call, cut short by ctx); Architecture and
//     AddressWidth from the architecture gowbem was built for.
//
// # Services
//
// Win32_Service lists systemd's service units, read over systemd's D-Bus
// interface (github.com/coreos/go-systemd): at Config.Systemd, else at
// systemd's private socket when the daemon is root, else through the
// system bus. Name is the unit's name without ".service"; the enumeration
// lists the loaded units and the installed unit files, template units
// (foo@.service) aside. Where no systemd answers, the class is empty and
// the log says so once.
//
//   - DisplayName, Caption and Description: the unit's Description.
//   - State from ActiveState (and FreezerState): active → Running,
//     activating → Start Pending, deactivating → Stop Pending, inactive and
//     failed → Stopped, frozen → Paused. Status: failed → Error,
//     activating → Starting, deactivating → Stopping, else OK. Started:
//     active, reloading or deactivating.
//   - StartMode from UnitFileState: enabled → Auto, masked → Disabled,
//     every other state (disabled, static, indirect, generated, …) →
//     Manual, as such a unit starts when asked or pulled in.
//   - ProcessId: MainPID (0 when it does not run). PathName: the first
//     ExecStart, written by JoinCommandLine. StartName: User=, else root.
//     ServiceType: "Own Process".
//   - ExitCode: 0 after a clean run, 1066 with ServiceSpecificExitCode the
//     main process's exit status when it exited non-zero, 1067 when it was
//     killed, dumped core or timed out, 1077 when it never ran.
//   - AcceptStop: CanStop while started. AcceptPause: CanFreeze while
//     started, on the unified cgroup hierarchy only (systemd's freezer).
//   - ErrorControl, TagId, CheckPoint, WaitHint, DesktopInteract,
//     DelayedAutoStart and InstallDate have no systemd equivalent: NULL.
//
// The methods need Config.AllowServiceControl and, for a caller in the
// call's context (identity.FromContext), an administrator (else 2, access
// denied, logged); an in-process call acts with the daemon's rights. They
// answer with WMI's codes. StartService runs systemd's start job and
// waits for it (Config.ServiceJobTimeout, 30 s by default, then 7): 10
// when already running, 14 when masked, 13 when a unit it depends on is
// missing. StopService returns 6 when the service is not running and 3
// while a running service requires it (Requires=, BindsTo=, Requisite=),
// as the service control manager refuses to stop a service others depend
// on. PauseService and ResumeService freeze and thaw the unit's cgroup
// where systemd can, else return 1 (not supported); 24 when already
// paused. ChangeStartMode("Automatic") enables the unit file (21 for a
// unit without an [Install] section), "Manual" unmasks and disables it,
// "Disabled" masks it; "Boot" and "System" are for drivers: 21. Changes
// are persistent, or last until reboot with Config.ServiceRuntimeChanges.
//
// # Network
//
// Links, addresses and IPv4 routes come over netlink
// (github.com/vishvananda/netlink); with Config.Root set (a fixture, which
// has no kernel) the network classes are empty.
//
//   - Win32_NetworkAdapter: one per interface, loopback included as WMI
//     does; DeviceID, Index and InterfaceIndex the interface index, Name and
//     NetConnectionID its name, MACAddress upper-case with colons,
//     NetEnabled the UP flag, NetConnectionStatus 0 (down), 2 (carrier or
//     loopback) or 7 (no carrier), PhysicalAdapter and ServiceName from
//     /sys/class/net/<name>/device/driver, Speed from …/speed (bits/s),
//     AdapterType from …/type (Ethernet, loopback as Ethernet, wireless,
//     PPP; NULL for others). Manufacturer and GUID: NULL.
//   - Win32_NetworkAdapterConfiguration: Index the interface index;
//     IPAddress IPv4 first, IPSubnet a dotted mask for IPv4 and the prefix
//     length for IPv6 (as WMI), DefaultIPGateway and GatewayCostMetric from
//     the interface's IPv4 default routes, MTU; DNSServerSearchOrder,
//     DNSDomain and DNSDomainSuffixSearchOrder from /etc/resolv.conf (the
//     host's, on every interface with a global address; NULL on the
//     others); DHCPEnabled TRUE when an IPv4 address has a finite
//     lifetime, as DHCP clients set it, NULL without IPv4. DHCPServer and
//     the lease times: NULL.
//   - Win32_IP4RouteTable: the main IPv4 table, keys Destination, Mask and
//     NextHop (0.0.0.0 without a gateway); routes differing only in metric
//     or interface keep the first. Type 3 direct, 4 indirect, 2
//     unreachable/prohibit/blackhole; Protocol 2 for the kernel's routes, 3
//     for boot-time and static ones, 13/14/8/9 for OSPF/BGP/RIP/IS-IS, else
//     1. Metric2–5 are -1; Age NULL.
//
// # Storage
//
// Win32_DiskDrive lists the block devices of /sys/block that have a device
// (not loop, ram, zram, dm or md), optical drives (sr*) aside; DeviceID is
// the device path, sizes in bytes, SerialNumber from sysfs's serial,
// InterfaceType USB, IDE (ATA), 1394 or else SCSI (also virtio and NVMe, as
// Windows reports them). Win32_DiskPartition lists their partitions
// (DeviceID the device path, Index zero-based, StartingOffset from sysfs's
// start); Bootable, BootPartition and Type need the partition table: NULL.
// Win32_Volume lists every partition, every disk without partitions and
// every other mounted block device; Name is where it is mounted (the
// shortest mount point), else its device path; Capacity and FreeSpace from
// statfs(2) when mounted; PageFilePresent from /proc/swaps; DriveLetter and
// Automount: NULL. Win32_Directory lists only the directories volumes are
// mounted on (the ends of Win32_MountPoint), and CIM_DataFile only the
// executables of running processes (the ends of CIM_ProcessExecutable,
// from /proc/<pid>/exe): gowbem does not offer the host's whole file tree.
//
// # Hardware
//
// Win32_BIOS (type 0), Win32_BaseBoard (type 2),
// Win32_ComputerSystemProduct (type 1; UUID with its first three fields
// little-endian from SMBIOS 2.6 on, as dmidecode) and Win32_PhysicalMemory
// (type 17, populated slots; Tag "Physical Memory <n>") parse the SMBIOS
// table of /sys/firmware/dmi/tables, which only root may read. Without it
// the first three fall back to the public fields of /sys/class/dmi/id
// (serial numbers NULL to other users), Win32_PhysicalMemory is empty, and
// where the firmware gives no DMI at all (some virtual machines) all four
// are empty rather than made up.
//
// # Accounts, logins, environment
//
// Win32_UserAccount and Win32_Group read /etc/passwd and /etc/group (not
// NSS: directory users are not listed); Domain is the host name, SID the
// one Samba gives Unix accounts (S-1-22-1-<uid>, S-1-22-2-<gid>); Disabled
// (a password starting with '!') and PasswordRequired come from
// /etc/shadow when the daemon may read it, else NULL. Win32_GroupUser
// links a group to the members /etc/group lists and to the users whose
// primary group it is. Win32_LogonSession lists the USER_PROCESS records
// of utmp: LogonId is the pid of the login process, Name the terminal,
// LogonType 10 when utmp names a remote host, else 2;
// AuthenticationPackage NULL. Win32_LoggedOnUser links an account to its
// sessions. Win32_Environment lists /etc/environment (UserName
// "<SYSTEM>", read as pam_env does) and, only with
// Config.DaemonEnvironment, the daemon's own variables.
//
// # Performance
//
// Win32_PerfRawData_PerfOS_Processor gives /proc/stat's times since boot
// per processor and "_Total", in 100 ns units, with
// Timestamp_Sys100NS a FILETIME; PercentProcessorTime is Windows' inverse
// counter (idle and iowait time). Win32_PerfFormattedData_PerfOS_Processor
// computes percentages between two samples Config.LoadInterval apart (one
// wait per call, cut short by ctx); a processor for which no time passed
// has NULL percentages. Win32_PerfFormattedData_PerfOS_Memory (a
// singleton) gives sizes from /proc/meminfo and paging rates from two
// /proc/vmstat samples.
//
// # Associations
//
// Win32_SystemProcesses, Win32_SystemServices, Win32_DependentService,
// Win32_DiskDriveToDiskPartition, Win32_LogicalDiskToPartition,
// Win32_MountPoint, Win32_NetworkAdapterSetting, Win32_GroupUser and
// Win32_LoggedOnUser and CIM_ProcessExecutable implement
// provider.AssociationProvider: ASSOCIATORS OF
// and REFERENCES OF walk from the source object (a process reads its own
// /proc entry, a service its own unit and those it names) instead of
// enumerating every association. Win32_DependentService comes from
// systemd's Requires=, BindsTo=, Requisite=, Wants= and After= between
// service units.
//
// # Events
//
// EventProviders (registered by Install) raise extrinsic events while a
// subscription lasts:
//
//   - Win32_ProcessStartTrace (a process ran a program: exec) and
//     Win32_ProcessStopTrace (a process ended; ExitStatus when it exited)
//     from the kernel's process events connector over netlink when the
//     daemon may open it (CAP_NET_ADMIN), else by comparing /proc every
//     Config.EventPollInterval (Config.PollProcesses forces polling); the
//     event's Source says which ("netlink" or "poll"). Subscriptions share
//     one watcher: the kernel delivers process events to one connector
//     socket of a process.
//   - Win32_VolumeChangeEvent: EventType 2 when a file system that holds
//     files is mounted, 3 when unmounted; DriveName the mount point. The
//     kernel signals changes of mountinfo (poll(2)); a fixture is polled.
//   - Gowbem_ServiceStateChangeEvent (gowbem's class: WMI has none): a
//     service's State changed, from systemd's PropertiesChanged signals;
//     Name, State, PreviousState (NULL when first seen), ActiveState,
//     SubState. Refused (WBEM_E_PROVIDER_NOT_CAPABLE) without systemd.
//
// Intrinsic events of every class above come from the object manager's
// WITHIN polling.
//
// # Limits
//
// MaxSMBIOSTable (1 MiB) and MaxSMBIOSStructures (4096) bound the SMBIOS
// table read; MaxUtmpRecords (65536) utmp; MaxAccountFile (16 MiB)
// /etc/passwd, /etc/group and /etc/shadow; MaxEnvironmentFile (1 MiB)
// /etc/environment; MaxResolvServers (16) the name servers reported;
// MaxCPUs (8192) the processors of /proc/stat; MaxKVFile (1 MiB)
// /proc/meminfo and /proc/vmstat. Past them the rest is ignored.
//
// # NULL
//
// A value the host does not give, or that the provider may not read, is
// NULL, never a failed call: ExecutablePath of kernel threads (and of other
// users' processes for an unprivileged daemon), CommandLine of kernel
// threads, Manufacturer and Model without DMI, NumberOfUsers without utmp,
// sizes of a mount whose statfs fails (or of a network file system that
// does not answer within StatfsTimeout), VolumeName and VolumeSerialNumber
// without udev links, MaxClockSpeed without cpufreq or "cpu MHz". A process
// that ends while it is read is left out of an enumeration, and GetObject
// on it is WBEM_E_NOT_FOUND.
//
// # Logical disks
//
// The enumeration lists each mount point once (the topmost mount hides
// those below it), leaving out file systems that only expose kernel
// interfaces (proc, sysfs, cgroup, devpts, …; see pseudoFS). DeviceID is the
// mount point. DriveType is 4 for network file systems (nfs, cifs, …; the
// source is ProviderName), 6 for tmpfs and ramfs, 5 for iso9660 and udf, 2
// for removable block devices, else 3.
//
// An unmounted volume is addressed by its block device or image file path
// as DeviceID — Win32_LogicalDisk.DeviceID="/dev/sdb1" or
// DeviceID="/srv/images/vol.img" — and GetObject and ExecMethod find it
// although the enumeration does not list it. The path must be absolute and
// clean and lead (after symbolic links) to a block device or a regular file
// under one of Config.VolumePaths ({"/dev"} by default), so that a caller
// cannot probe arbitrary files. Its FileSystem, Size, FreeSpace, VolumeName,
// VolumeSerialNumber and VolumeDirty come from the ext2/3/4 superblock;
// xfs, btrfs and vfat are only recognized.
//
// Chkdsk returns 1 (locked) for a mounted volume, creating
// Config.BootCheckFile (/forcefsck) to check file systems at the next boot
// when OKToRunAtBootUp and Config.ScheduleBootCheck both say so; 4 for a
// mounted network, RAM or optical file system. For an unmounted ext2/3/4
// volume it runs e2fsck -f -n (FixErrors FALSE) or e2fsck -f -y (FixErrors
// TRUE, plus -c for RecoverBadSectors) under the call's ctx: exit status 0,
// 1 or 2 gives 0; 4 (errors left uncorrected) and every failure give 3, the
// code chkdsk.exe itself exits with for errors found and not fixed. An
// unrecognized volume gives 2, a recognized file system other than ext2/3/4
// or a missing e2fsck gives 4. VigorousIndexCheck, SkipFolderCycle and
// ForceDismount have no ext2/3/4 meaning and are ignored: gowbem never
// unmounts.
//
// # Methods and Config
//
// Win32_Process.Terminate sends SIGKILL (Config.TerminateSignal may choose
// another signal): WMI's TerminateProcess gives the process no chance to
// clean up either. Linux cannot impose an exit status, so Reason is unused.
// It returns 2 for the provider's own process, with Config.DenyTerminate,
// and when Config.Root points at a fixture. Win32_Process.Create runs only
// with Config.AllowCreate (else 2); it splits CommandLine with
// SplitCommandLine (21 when it is empty or malformed), returns 9 for a
// program or CurrentDirectory that does not exist, starts the program in a
// new session and reaps it when it ends. GetOwner reports the effective
// user, named through /etc/passwd, and the host name as Domain.
// Win32_OperatingSystem.Reboot and Shutdown return ReturnPrivilegeNotHeld
// (1314) unless Config.AllowPower; then Config.Power acts (by default
// sync(2) and reboot(2)).
//
// # Who may call each method
//
// The object manager lets a method call through only to callers with
// MethodExecute on the namespace (package identity). The providers then act
// with the caller's rights, as WMI's providers impersonate: the caller
// (identity.FromContext) is an administrator, or acts as its Linux account,
// or, mapped to no account, can do nothing on the host. A call without a
// caller is the program's own (in-process) and has the daemon's rights.
//
//	Win32_Process.GetOwner              every caller (a read)
//	Win32_Process.Terminate             an administrator: any process; a user: the
//	                                    processes whose real or saved uid is the
//	                                    account's (the kernel's rule), else 2
//	Win32_Process.Create                with Config.AllowCreate: runs as the caller's
//	                                    account (an administrator without one: as the
//	                                    daemon); a user without an account gets 2
//	Win32_LogicalDisk.Chkdsk            FixErrors, RecoverBadSectors, or scheduling a
//	                                    check at boot: administrators (else
//	                                    WBEM_E_ACCESS_DENIED); a plain check reads the
//	                                    volume as the caller's account
//	Win32_Service.StartService, …       with Config.AllowServiceControl:
//	                                    administrators (else 2)
//	Win32_OperatingSystem.Reboot, …     with Config.AllowPower: administrators (else
//	                                    1314)
//
// A new method that changes the system calls requireAdmin (or isAdmin);
// one that acts on the caller's own things runs as actingAs's account.
//
// # Streaming
//
// Every provider writes each instance to the emitter as soon as it is
// built, stops at the emitter's first error and checks ctx between
// instances. Win32_Process reads /proc procDirChunk names at a time, so an
// enumeration of any number of processes holds one chunk of names and one
// instance. A query whose WHERE clause fixes ProcessId or Handle
// (provider.Hint) reads only those /proc entries, and GetObject reads one.
package host
