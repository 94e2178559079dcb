module github.com/gowbem/gowbem

go 1.26

require (
	github.com/coreos/go-systemd/v22 v22.7.0
	github.com/go-ole/go-ole v1.3.0
	github.com/godbus/dbus/v5 v5.2.4
	github.com/vishvananda/netlink v1.3.1
	go.etcd.io/bbolt v1.4.3
	golang.org/x/crypto v0.32.0
	golang.org/x/sys v0.29.0
)

require github.com/vishvananda/netns v0.0.5 // indirect

require github.com/yusufpapurcu/wmi v1.2.4
