// Command outlast keeps a service reachable when a cloud region or provider
// fails: it probes endpoints, judges them by quorum and answers
// authoritative DNS steered by their health. This file only parses flags and
// wires packages together; the work lives under internal/.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"outlast/internal/backend"
	"outlast/internal/config"
	"outlast/internal/node"
	"outlast/internal/sdnotify"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// Exit codes scripts can rely on.
const (
	exitOK      = 0
	exitFailure = 1 // the command ran and found a problem (bad config, server error)
	exitUsage   = 2 // the command line itself was wrong
)

const usage = `outlast keeps a service reachable when a cloud region or provider fails.
(The 2021 outages in a local lab, measured: go run ./cmd/outlast-lab, from a source checkout.)

Usage:
  outlast serve --config FILE          run a node: probe, decide, answer DNS (SIGHUP reloads FILE)
  outlast drill --config FILE ...      measure a real traffic shift: force an endpoint down, time it, undo
  outlast audit --config FILE          which provider or region failure takes what down (--addr, --resolve, --ip-ranges; -o json|html)
  outlast config check FILE...         validate configuration files, offline
  outlast import FILE [--apex NAME]    turn a BIND-style zone file (a provider's export) into a configuration, on stdout
  outlast status | endpoints [SERVICE] | events [--since N]      what a node's API says (OUTLAST_ADDR, OUTLAST_TOKEN; -o json)
  outlast drain|undrain ENDPOINT --reason TEXT [--for 30m]      take an endpoint out of the answers, or back
  outlast force up|down ENDPOINT --reason TEXT [--for 30m]      override the verdict
  outlast primary status | set ENDPOINT --reason TEXT [--break-glass] | gate NAME on|off --reason TEXT
                                       a policy primary service's primary, its promotions and gates
  outlast zones                        each zone's serial, signing (key tags, DS, re-sign) and secondaries' NOTIFY
  outlast config get | validate FILE | apply FILE --reason TEXT the cluster's configuration, through the API
  outlast backup -o FILE               a consistent backup of the cluster's replicated state (admin token)
  outlast restore --reason TEXT FILE   seed a new cluster with a backup's state (--force: replace one with history)
  outlast cluster status|join|remove   manage cluster membership (--config FILE)
  outlast token new --name N --scope S make an API token (read or admin) and its config line
  outlast dnssec keygen --zone Z | ds KEYFILE  a zone's DNSSEC signing key, and the DS for its parent
  outlast tls init [--dir DIR]         make the cluster CA (docs/tls.md)
  outlast tls node NAME [--host H]...  make a node certificate from it
  outlast backend --listen ADDR        run the sample HTTP service (200 "ok" on / and /healthz)
  outlast version                      print the version, the commit and the Go release it was built with
`

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	switch args[0] {
	case "serve":
		return serve(args[1:], stderr)
	case "config":
		return configCmd(args[1:], stdout, stderr)
	case "backend":
		return backendCmd(args[1:], stderr)
	case "tls":
		return tlsCmd(args[1:], stdout, stderr)
	case "cluster":
		return clusterCmd(args[1:], stdout, stderr)
	case "demo":
		return demoCmd(args[1:], stdout, stderr)
	case "token":
		return tokenCmd(args[1:], stdout, stderr)
	case "status":
		return statusCmd(args[1:], stdout, stderr)
	case "endpoints":
		return endpointsCmd(args[1:], stdout, stderr)
	case "drain", "undrain", "force":
		return overrideCmd(args[0], args[1:], stdout, stderr)
	case "events":
		return eventsCmd(args[1:], stdout, stderr)
	case "primary":
		return primaryCmd(args[1:], stdout, stderr)
	case "zones":
		return zonesCmd(args[1:], stdout, stderr)
	case "backup":
		return backupCmd(args[1:], stdout, stderr)
	case "restore":
		return restoreCmd(args[1:], stdout, stderr)
	case "dnssec":
		return dnssecCmd(args[1:], stdout, stderr)
	case "audit":
		return auditCmd(args[1:], stdout, stderr)
	case "drill":
		return drillCmd(args[1:], stdout, stderr)
	case "import":
		return importCmd(args[1:], stdout, stderr)
	case "version", "--version", "-v":
		fmt.Fprint(stdout, versionText())
		return exitOK
	case "help", "--help", "-h":
		fmt.Fprint(stdout, usage)
		return exitOK
	default:
		fmt.Fprintf(stderr, "outlast: unknown command %q\n\n%s", args[0], usage)
		return exitUsage
	}
}

// versionString is the version and short commit, as a node reports it
// (metrics, API): "v1.2.0 (0123456789ab)", "+dirty" when built from a
// modified tree.
func versionString() string {
	b := readBuild()
	if len(b.commit) < 12 {
		return version
	}
	s := version + " (" + b.commit[:12]
	if b.modified {
		s += "+dirty"
	}
	return s + ")"
}

// versionText is what outlast version prints: the version, the commit it
// was built from and the Go release that built it.
func versionText() string {
	b := readBuild()
	commit := b.commit
	switch {
	case commit == "":
		commit = "unknown (built without VCS information: use deploy/package)"
	case b.modified:
		commit += " (modified)"
	}
	return fmt.Sprintf("outlast %s\ncommit: %s\ngo: %s %s/%s\n", version, commit, b.goVersion, runtime.GOOS, runtime.GOARCH)
}

// commit is set at build time with -ldflags "-X main.commit=..." when the
// build carries no VCS information (go build -buildvcs=false).
var commit = ""

type buildFacts struct {
	commit, goVersion string
	modified          bool
}

// readBuild reads the commit from the build information, or the commit
// given at link time when it holds none.
func readBuild() buildFacts {
	b := buildFacts{commit: commit, goVersion: runtime.Version()}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return b
	}
	b.goVersion = info.GoVersion
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			b.commit = s.Value
		case "vcs.modified":
			b.modified = s.Value == "true"
		}
	}
	return b
}

func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("outlast "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parseFlags parses args into fs and allows at most maxArgs arguments after
// the flags. ok is false when the command should stop with code: 0 after -h
// (flag printed the usage), exitUsage after a problem, which has been said
// (flag says what was wrong with a flag; this says it for stray arguments,
// with the flag that was probably meant).
func parseFlags(fs *flag.FlagSet, args []string, maxArgs int) (code int, ok bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK, false
		}
		return exitUsage, false
	}
	if fs.NArg() <= maxArgs {
		return 0, true
	}
	extra := fs.Arg(maxArgs)
	msg := fmt.Sprintf("%s: unexpected argument %q", fs.Name(), extra)
	if fs.Lookup("config") != nil && (strings.HasSuffix(extra, ".yaml") || strings.HasSuffix(extra, ".yml")) {
		msg += fmt.Sprintf("; a configuration file is given with a flag: %s --config %s", fs.Name(), extra)
	} else {
		msg += " (flags go before arguments; -h lists them)"
	}
	fmt.Fprintln(fs.Output(), msg)
	return exitUsage, false
}

func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

func serve(args []string, stderr io.Writer) int {
	fs := newFlags("serve", stderr)
	path := fs.String("config", "outlast.yaml", "configuration `file`")
	logLevel := fs.String("log-level", "info", "log level: debug, info, warn or error")
	pprofAddr := fs.String("pprof", "", "serve Go profiles at /debug/pprof/ on this loopback `address` (default: off)")
	if code, ok := parseFlags(fs, args, 0); !ok {
		return code
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fmt.Fprintf(stderr, "outlast serve: --log-level: %v\n", err)
		return exitUsage
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	if *pprofAddr != "" {
		stop, err := startPprof(*pprofAddr)
		if err != nil {
			fmt.Fprintf(stderr, "outlast serve: %v\n", err)
			return exitUsage
		}
		defer stop()
	}
	cfg, err := config.Load(*path)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitFailure
	}
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent(cfg))
	}
	n, err := node.New(cfg, node.Options{Logger: logger, ConfigFile: *path, Version: versionString()})
	if err != nil {
		logger.Error("cannot start", "err", err)
		return exitFailure
	}
	if err := n.Start(); err != nil {
		logger.Error("cannot start", "err", err)
		return exitFailure
	}
	// Type=notify: systemd hears READY=1 once the node answers DNS (a
	// member answers SERVFAIL until it has caught up with the cluster).
	notifier, err := sdnotify.FromEnv()
	if err != nil {
		logger.Warn("cannot tell systemd about readiness", "err", err)
	}
	life := sdnotify.Watch(notifier, n.DNSAddr(), logger)
	waitForSignals(func() { life.Reload(func() { _ = n.ReloadFile(*path) }) })
	life.Stopping()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := n.Stop(ctx); err != nil {
		logger.Error("stopped uncleanly", "err", err)
		return exitFailure
	}
	return exitOK
}

// gcPercent is the garbage collector's target for a node of cfg (GOGC
// overrides it). A node's live heap is mostly long-lived (metrics series,
// views, verdicts); collecting at half again the live heap rather than
// twice it keeps a 10,000-endpoint node under 300 MB for about 0.07 of a
// core (docs/performance.md). A node running the HTTP proxy allocates for
// every request instead, and collects at three times its live heap:
// bench/proxy --duration 5 gave 9,114 requests a second at 50 and 10,751
// at 200 (docs/performance.md).
func gcPercent(cfg *config.Config) int {
	if cfg.Proxy.Enabled() {
		return 200
	}
	return 50
}

// waitForSignals calls reload on each SIGHUP and returns on SIGINT or SIGTERM.
func waitForSignals(reload func()) {
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(signals)
	for sig := range signals {
		if sig != syscall.SIGHUP {
			return
		}
		reload()
	}
}

func configCmd(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && (args[0] == "get" || args[0] == "validate" || args[0] == "apply") {
		return configAPICmd(args[0], args[1:], stdout, stderr)
	}
	if len(args) < 2 || args[0] != "check" {
		fmt.Fprint(stderr, "usage: outlast config check FILE... | get | validate FILE | apply FILE --reason TEXT\n")
		return exitUsage
	}
	code := exitOK
	for _, path := range args[1:] {
		if _, err := loadConfig(path); err != nil {
			fmt.Fprintln(stdout, err)
			code = exitFailure
			continue
		}
		fmt.Fprintf(stdout, "%s: ok\n", path)
	}
	return code
}

func backendCmd(args []string, stderr io.Writer) int {
	fs := newFlags("backend", stderr)
	listen := fs.String("listen", "127.0.0.1:8081", "`host:port` to listen on")
	name := fs.String("name", "", "instance name sent in X-Outlast-Backend (default: the listen address)")
	if code, ok := parseFlags(fs, args, 0); !ok {
		return code
	}
	if *name == "" {
		*name = *listen
	}
	ctx, stop := signalContext()
	defer stop()
	if err := backend.Serve(ctx, *listen, *name); err != nil {
		fmt.Fprintf(stderr, "outlast backend: %v\n", err)
		return exitFailure
	}
	return exitOK
}
