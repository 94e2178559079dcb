//go:build linux

package host

import (
	"context"
	"errors"
	"strconv"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/provider"
)

// assocEnd is one reference of an association class: its property and the
// classes of the instances it may name.
type assocEnd struct {
	role    string
	classes []string
}

// pairFunc emits the pairs of paths an association links. With from >= 0 it
// emits only the pairs whose end from is target, walking from target (the
// push-down ASSOCIATORS OF needs); with from < 0 every pair.
type pairFunc func(ctx context.Context, from int, target cim.ObjectPath, emit func(a, b cim.ObjectPath) error) error

// assocProvider serves an association class of two references. It
// implements provider.InstanceProvider and provider.AssociationProvider, so
// that ASSOCIATORS OF and REFERENCES OF start from the source object
// instead of enumerating every association.
type assocProvider struct {
	ends  [2]assocEnd
	pairs pairFunc
}

func (p *assocProvider) build(class *cim.Class, a, b cim.ObjectPath) *cim.Instance {
	return newRow(class).set(p.ends[0].role, cim.Ref(a)).set(p.ends[1].role, cim.Ref(b)).inst
}

// EnumerateInstances emits every association.
func (p *assocProvider) EnumerateInstances(ctx context.Context, class *cim.Class, out provider.Emitter) error {
	return p.pairs(ctx, -1, cim.ObjectPath{}, func(a, b cim.ObjectPath) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		return out.Emit(p.build(class, a, b))
	})
}

// GetInstance walks from the path's first reference and looks for its
// second.
func (p *assocProvider) GetInstance(ctx context.Context, class *cim.Class, path cim.ObjectPath) (*cim.Instance, error) {
	var refs [2]cim.ObjectPath
	for i, e := range p.ends {
		v, ok := keyValue(path, e.role)
		if !ok {
			return nil, notFound(path)
		}
		rp, err := v.Path()
		if err != nil {
			return nil, notFound(path)
		}
		refs[i] = rp
	}
	var found *cim.Instance
	err := p.pairs(ctx, 0, refs[0], func(a, b cim.ObjectPath) error {
		if cim.EqualFold(b.Class, refs[1].Class) && sameKeys(b, refs[1]) {
			found = p.build(class, a, b)
			return errFound
		}
		return nil
	})
	if err != nil && !errors.Is(err, errFound) {
		return nil, err
	}
	if found == nil {
		return nil, notFound(path)
	}
	return found, nil
}

// References emits the associations whose reference role (any when "")
// names target, walking from target.
func (p *assocProvider) References(ctx context.Context, class *cim.Class, target cim.ObjectPath, role string, out provider.Emitter) error {
	for i, e := range p.ends {
		if role != "" && !cim.EqualFold(role, e.role) || !classIn(target.Class, e.classes) {
			continue
		}
		err := p.pairs(ctx, i, target, func(a, b cim.ObjectPath) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			return out.Emit(p.build(class, a, b))
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func classIn(c string, classes []string) bool {
	for _, x := range classes {
		if cim.EqualFold(c, x) {
			return true
		}
	}
	return false
}

// keyValue returns the value of the key called name in p.
func keyValue(p cim.ObjectPath, name string) (cim.Value, bool) {
	for _, k := range p.Keys {
		if cim.EqualFold(k.Name, name) {
			return k.Value, true
		}
	}
	return cim.Null, false
}

// path1 makes a path of one key.
func path1(class, key string, v cim.Value) cim.ObjectPath {
	return cim.ObjectPath{Class: class, Keys: []cim.KeyBinding{{Name: key, Value: v}}}
}

func computerPath(h *host) cim.ObjectPath {
	return path1("Win32_ComputerSystem", "Name", cim.String(h.hostname()))
}

func processPath(pid int) cim.ObjectPath {
	return path1("Win32_Process", "Handle", cim.String(strconv.Itoa(pid)))
}

func servicePath(unitName string) cim.ObjectPath {
	return path1("Win32_Service", "Name", cim.String(serviceName(unitName)))
}

// isComputer reports whether p names this computer.
func (h *host) isComputer(p cim.ObjectPath) bool {
	name, _ := keyString(p, "Name")
	return cim.EqualFold(name, h.hostname())
}

// newSystemProcesses links the computer (GroupComponent) to each process
// (PartComponent). From a process it reads only that process's /proc
// entry.
func newSystemProcesses(h *host) *assocProvider {
	return &assocProvider{
		ends: [2]assocEnd{{"GroupComponent", []string{"Win32_ComputerSystem"}}, {"PartComponent", []string{"Win32_Process"}}},
		pairs: func(ctx context.Context, from int, target cim.ObjectPath, emit func(a, b cim.ObjectPath) error) error {
			cs := computerPath(h)
			if from == 1 {
				hs, _ := keyString(target, "Handle")
				pid, err := strconv.Atoi(hs)
				if err != nil || pid <= 0 || strconv.Itoa(pid) != hs || !h.processExists(pid) {
					return nil
				}
				return emit(cs, processPath(pid))
			}
			if from == 0 && !h.isComputer(target) {
				return nil
			}
			return h.eachPID(ctx, func(pid int) error { return emit(cs, processPath(pid)) })
		},
	}
}

// processExists reports whether /proc has the process.
func (h *host) processExists(pid int) bool {
	_, err := readInto(make([]byte, 0, 64), h.cfg.path("/proc/"+strconv.Itoa(pid)+"/stat"), 64)
	return err == nil
}

// newSystemServices links the computer to each service.
func newSystemServices(h *host) *assocProvider {
	return &assocProvider{
		ends: [2]assocEnd{{"GroupComponent", []string{"Win32_ComputerSystem"}}, {"PartComponent", []string{"Win32_Service", "Win32_BaseService"}}},
		pairs: func(ctx context.Context, from int, target cim.ObjectPath, emit func(a, b cim.ObjectPath) error) error {
			cs := computerPath(h)
			sp := &ServiceProvider{h: h}
			var names []string
			switch from {
			case 0:
				if !h.isComputer(target) {
					return nil
				}
			case 1:
				n, _ := keyString(target, "Name")
				if !validServiceName(n) {
					return nil
				}
				names = []string{unitName(n)}
			}
			return sp.each(ctx, names, func(u unit) error { return emit(cs, servicePath(u.Name)) })
		},
	}
}

// newDependentService links a service (Antecedent) to each service that
// depends on it (Dependent): systemd's Requires=, BindsTo=, Requisite=,
// Wants= and After= between service units. From a service it reads that
// unit and the units it names.
func newDependentService(h *host) *assocProvider {
	return &assocProvider{
		ends: [2]assocEnd{{"Antecedent", []string{"Win32_Service", "Win32_BaseService"}}, {"Dependent", []string{"Win32_Service", "Win32_BaseService"}}},
		pairs: func(ctx context.Context, from int, target cim.ObjectPath, emit func(a, b cim.ObjectPath) error) error {
			sp := &ServiceProvider{h: h}
			var names []string
			if from >= 0 {
				n, _ := keyString(target, "Name")
				if !validServiceName(n) {
					return nil
				}
				names = []string{unitName(n)}
			}
			seen := map[[2]string]bool{}
			pair := func(ante, dep string) error {
				if !hasServiceSuffix(ante) || !hasServiceSuffix(dep) || ante == dep || seen[[2]string{ante, dep}] {
					return nil
				}
				seen[[2]string{ante, dep}] = true
				return emit(servicePath(ante), servicePath(dep))
			}
			return sp.each(ctx, names, func(u unit) error {
				// Every pair is found from its Dependent's forward lists;
				// from an Antecedent, from its reverse lists.
				if from != 0 {
					for _, l := range [][]string{u.Requires, u.BindsTo, u.Requisite, u.Wants, u.After} {
						for _, a := range l {
							if err := pair(a, u.Name); err != nil {
								return err
							}
						}
					}
				}
				if from == 0 {
					for _, l := range [][]string{u.RequiredBy, u.BoundBy, u.RequisiteOf, u.WantedBy, u.Before} {
						for _, d := range l {
							if err := pair(u.Name, d); err != nil {
								return err
							}
						}
					}
				}
				return nil
			})
		},
	}
}

func hasServiceSuffix(n string) bool {
	return len(n) > 8 && n[len(n)-8:] == ".service" && !isTemplate(n)
}

// newDiskDriveToDiskPartition links each disk (Antecedent) to its
// partitions (Dependent).
func newDiskDriveToDiskPartition(h *host) *assocProvider {
	return &assocProvider{
		ends: [2]assocEnd{{"Antecedent", []string{"Win32_DiskDrive"}}, {"Dependent", []string{"Win32_DiskPartition"}}},
		pairs: func(ctx context.Context, from int, target cim.ObjectPath, emit func(a, b cim.ObjectPath) error) error {
			id, _ := keyString(target, "DeviceID")
			disks, _ := h.disks()
			for _, d := range disks {
				for _, p := range d.partitions {
					if from == 0 && id != d.path() || from == 1 && id != p.path() {
						continue
					}
					if err := emit(path1("Win32_DiskDrive", "DeviceID", cim.String(d.path())),
						path1("Win32_DiskPartition", "DeviceID", cim.String(p.path()))); err != nil {
						return err
					}
				}
			}
			return nil
		},
	}
}

// newLogicalDiskToPartition links a partition (Antecedent) to the logical
// disks (mount points) of the file system on it (Dependent).
func newLogicalDiskToPartition(h *host) *assocProvider {
	return &assocProvider{
		ends: [2]assocEnd{{"Antecedent", []string{"Win32_DiskPartition"}}, {"Dependent", []string{"Win32_LogicalDisk"}}},
		pairs: func(ctx context.Context, from int, target cim.ObjectPath, emit func(a, b cim.ObjectPath) error) error {
			id, _ := keyString(target, "DeviceID")
			disks, _ := h.disks()
			part := map[string]string{} // dev → partition path
			for _, d := range disks {
				for _, p := range d.partitions {
					part[p.dev] = p.path()
				}
			}
			ms, err := h.mounts()
			if err != nil {
				return nil
			}
			for _, m := range ms {
				pp, ok := part[m.majMin]
				if !ok || pseudoFS[m.fstype] || from == 0 && id != pp || from == 1 && id != m.point {
					continue
				}
				if err := emit(path1("Win32_DiskPartition", "DeviceID", cim.String(pp)),
					path1("Win32_LogicalDisk", "DeviceID", cim.String(m.point))); err != nil {
					return err
				}
			}
			return nil
		},
	}
}

// newMountPoint links a volume (Antecedent) to each directory it is
// mounted on (Dependent).
func newMountPoint(h *host) *assocProvider {
	return &assocProvider{
		ends: [2]assocEnd{{"Antecedent", []string{"Win32_Volume"}}, {"Dependent", []string{"Win32_Directory"}}},
		pairs: func(ctx context.Context, from int, target cim.ObjectPath, emit func(a, b cim.ObjectPath) error) error {
			key := "DeviceID"
			if from == 1 {
				key = "Name"
			}
			id, _ := keyString(target, key)
			for _, v := range h.volumes() {
				dev := "/dev/" + v.name
				if from == 0 && id != dev {
					continue
				}
				for _, p := range v.points {
					if from == 1 && id != p {
						continue
					}
					if err := emit(path1("Win32_Volume", "DeviceID", cim.String(dev)), path1("Win32_Directory", "Name", cim.String(p))); err != nil {
						return err
					}
				}
			}
			return nil
		},
	}
}

// newNetworkAdapterSetting links each adapter (Element) to its IP settings
// (Setting).
func newNetworkAdapterSetting(h *host) *assocProvider {
	return &assocProvider{
		ends: [2]assocEnd{{"Element", []string{"Win32_NetworkAdapter"}}, {"Setting", []string{"Win32_NetworkAdapterConfiguration"}}},
		pairs: func(ctx context.Context, from int, target cim.ObjectPath, emit func(a, b cim.ObjectPath) error) error {
			want := -1
			switch from {
			case 0:
				id, _ := keyString(target, "DeviceID")
				want, _ = strconv.Atoi(id)
			case 1:
				id, _ := keyString(target, "Index")
				want, _ = strconv.Atoi(id)
			}
			st, err := h.network()
			if err != nil {
				return err
			}
			for _, l := range st.links {
				if from >= 0 && l.index != want {
					continue
				}
				if err := emit(path1("Win32_NetworkAdapter", "DeviceID", cim.String(strconv.Itoa(l.index))),
					path1("Win32_NetworkAdapterConfiguration", "Index", cim.Uint32(uint32(l.index)))); err != nil {
					return err
				}
			}
			return nil
		},
	}
}
