// Command wsmanpasswd adds a user, or changes a user's password, in a users
// file of the WS-Management server (name:bcrypt-hash lines, mode 0600).
//
// Usage:
//
//	wsmanpasswd FILE USER < password
//
// The password is the first line of standard input; the file is created
// when it does not exist.
package main

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/gowbem/gowbem/wsman"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "wsmanpasswd:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) != 2 {
		return errors.New("usage: wsmanpasswd FILE USER < password")
	}
	file, user := args[0], args[1]
	users, err := wsman.LoadUsers(file)
	if err != nil {
		if _, serr := os.Stat(file); !errors.Is(serr, fs.ErrNotExist) {
			return err
		}
		users = wsman.NewUsers()
	}
	line, err := bufio.NewReader(os.Stdin).ReadString('\n')
	if err != nil && line == "" {
		return errors.New("no password on standard input")
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		return errors.New("the password is empty")
	}
	if err := users.Add(user, pw); err != nil {
		return err
	}
	return users.Save(file)
}
