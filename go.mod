module github.com/gowbem/gowbem

go 1.26

require (
	github.com/coreos/go-systemd/v22 v22.7.0
	github.com/godbus/dbus/v5 v5.2.4
	go.etcd.io/bbolt v1.4.3
	golang.org/x/crypto v0.32.0
)

require golang.org/x/sys v0.29.0 // indirect
