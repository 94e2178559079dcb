package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
)

// completion prints a completion script for bash, zsh or fish: commands,
// their flags and the global flags, output formats, and files where a
// command takes files.
func (r *runner) completion(ctx context.Context, args []string) error {
	var err error
	switch args[0] {
	case "bash":
		err = completeBash(r.env.Stdout)
	case "zsh":
		// zsh runs bash completion scripts through bashcompinit.
		if _, err = io.WriteString(r.env.Stdout, "#compdef wbem\nautoload -U +X bashcompinit && bashcompinit\n"); err == nil {
			err = completeBash(r.env.Stdout)
		}
	case "fish":
		err = completeFish(r.env.Stdout)
	default:
		return usageErrorf("completion: %q is not a shell (bash, zsh or fish)", args[0])
	}
	return err
}

// flagInfo is one flag for a completion script.
type flagInfo struct {
	name  string
	value bool // takes a value
	usage string
}

func flagsOf(register func(fs *flag.FlagSet)) []flagInfo {
	fs := flag.NewFlagSet("", flag.ContinueOnError)
	register(fs)
	var out []flagInfo
	fs.VisitAll(func(f *flag.Flag) {
		_, isBool := f.Value.(interface{ IsBoolFlag() bool })
		_, usage := flag.UnquoteUsage(f)
		out = append(out, flagInfo{name: f.Name, value: !isBool, usage: usage})
	})
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

func globalFlags() []flagInfo {
	fl := flagsOf(func(fs *flag.FlagSet) {
		var o options
		o.register(fs)
	})
	return append(fl, flagInfo{name: "version", usage: "print the version and exit"})
}

func commandFlags(c *command) []flagInfo {
	if c.flags == nil {
		return nil
	}
	return flagsOf(func(fs *flag.FlagSet) {
		var f cmdFlags
		c.flags(fs, &f)
	})
}

// dashes writes a flag as users type it: -n, --namespace.
func dashes(name string) string {
	if len(name) == 1 || strings.Contains(name, ":") {
		return "-" + name
	}
	return "--" + name
}

func completeBash(w io.Writer) error {
	var b strings.Builder
	var names, valued []string
	for _, c := range commands {
		names = append(names, c.name)
	}
	names = append(names, "help")
	var global []string
	for _, f := range globalFlags() {
		global = append(global, dashes(f.name))
		if f.value {
			valued = append(valued, dashes(f.name))
		}
	}
	b.WriteString("# bash completion for wbem (wbem completion bash)\n_wbem() {\n")
	b.WriteString("\tlocal cur prev cmd i\n\tcur=${COMP_WORDS[COMP_CWORD]}\n\tprev=${COMP_WORDS[COMP_CWORD-1]}\n")
	b.WriteString("\tcase $prev in\n")
	fmt.Fprintf(&b, "\t-o|--output) COMPREPLY=($(compgen -W %q -- \"$cur\")); return;;\n", strings.Join(formats, " "))
	b.WriteString("\t--state-dir) COMPREPLY=($(compgen -d -- \"$cur\")); return;;\n")
	b.WriteString("\t--password-file|--ca-cert) COMPREPLY=($(compgen -f -- \"$cur\")); return;;\n")
	var other []string
	for _, v := range valued {
		switch v {
		case "-o", "--output", "--state-dir", "--password-file", "--ca-cert":
		default:
			other = append(other, v)
		}
	}
	for _, c := range commands {
		for _, f := range commandFlags(c) {
			if f.value {
				other = append(other, dashes(f.name))
			}
		}
	}
	fmt.Fprintf(&b, "\t%s) return;;\n\tesac\n", strings.Join(dedupe(other), "|"))
	// The command is the first word that is neither a flag nor a flag's value.
	b.WriteString("\tcmd=\n\tfor ((i = 1; i < COMP_CWORD; i++)); do\n\t\tcase ${COMP_WORDS[i]} in\n")
	fmt.Fprintf(&b, "\t\t%s) ((i++));;\n", strings.Join(dedupe(append(valued, other...)), "|"))
	b.WriteString("\t\t-*) ;;\n\t\t*) cmd=${COMP_WORDS[i]}; break;;\n\t\tesac\n\tdone\n")
	b.WriteString("\tcase $cmd in\n")
	fmt.Fprintf(&b, "\t\"\") COMPREPLY=($(compgen -W %q -- \"$cur\"));;\n", strings.Join(append(names, global...), " "))
	fmt.Fprintf(&b, "\thelp) COMPREPLY=($(compgen -W %q -- \"$cur\"));;\n", strings.Join(names, " "))
	for _, c := range commands {
		var fl []string
		for _, f := range commandFlags(c) {
			fl = append(fl, dashes(f.name))
		}
		words := strings.Join(append(fl, global...), " ")
		switch c.name {
		case "mofcomp":
			fmt.Fprintf(&b, "\tmofcomp) if [[ $cur == -* ]]; then COMPREPLY=($(compgen -W %q -- \"$cur\")); else COMPREPLY=($(compgen -f -- \"$cur\")); fi;;\n", words)
		case "completion":
			b.WriteString("\tcompletion) COMPREPLY=($(compgen -W \"bash zsh fish\" -- \"$cur\"));;\n")
		case "namespaces":
			fmt.Fprintf(&b, "\tnamespaces) COMPREPLY=($(compgen -W %q -- \"$cur\"));;\n", "create delete "+words)
		default:
			fmt.Fprintf(&b, "\t%s) COMPREPLY=($(compgen -W %q -- \"$cur\"));;\n", c.name, words)
		}
	}
	b.WriteString("\tesac\n}\ncomplete -F _wbem wbem\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func completeFish(w io.Writer) error {
	var b strings.Builder
	b.WriteString("# fish completion for wbem (wbem completion fish)\ncomplete -c wbem -f\n")
	var names []string
	for _, c := range commands {
		names = append(names, c.name)
	}
	names = append(names, "help")
	noCmd := "not __fish_seen_subcommand_from " + strings.Join(names, " ")
	for _, c := range commands {
		fmt.Fprintf(&b, "complete -c wbem -n %q -a %s -d %q\n", noCmd, c.name, c.help)
	}
	fmt.Fprintf(&b, "complete -c wbem -n %q -a help -d %q\n", noCmd, "tell more of a command")
	fmt.Fprintf(&b, "complete -c wbem -n %q -a %q\n", "__fish_seen_subcommand_from help", strings.Join(names, " "))
	fish := func(cond string, f flagInfo) {
		b.WriteString("complete -c wbem")
		if cond != "" {
			fmt.Fprintf(&b, " -n %q", cond)
		}
		switch {
		case len(f.name) == 1:
			fmt.Fprintf(&b, " -s %s", f.name)
		case strings.Contains(f.name, ":"):
			fmt.Fprintf(&b, " -o %s", f.name)
		default:
			fmt.Fprintf(&b, " -l %s", f.name)
		}
		if f.value {
			b.WriteString(" -r")
			switch f.name {
			case "o", "output":
				fmt.Fprintf(&b, " -a %q", strings.Join(formats, " "))
			case "password-file", "ca-cert", "state-dir":
				b.WriteString(" -F")
			}
		}
		fmt.Fprintf(&b, " -d %q\n", f.usage)
	}
	for _, f := range globalFlags() {
		fish("", f)
	}
	for _, c := range commands {
		for _, f := range commandFlags(c) {
			fish("__fish_seen_subcommand_from "+c.name, f)
		}
	}
	b.WriteString("complete -c wbem -n \"__fish_seen_subcommand_from mofcomp\" -F\n")
	b.WriteString("complete -c wbem -n \"__fish_seen_subcommand_from completion\" -a \"bash zsh fish\"\n")
	b.WriteString("complete -c wbem -n \"__fish_seen_subcommand_from namespaces\" -a \"create delete\"\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func dedupe(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}
