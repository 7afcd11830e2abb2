// Command outlast-lab plays the outages of 2021 in a local lab and measures
// how outlast rides them out: six regions behind fault proxies (two of
// them CDNs reached by hostname, which the CDN providers' own DNS in the lab
// resolves, one in Europe for the geo scenario), three outlast nodes in one
// process on a network the lab can cut, 200 simulated devices (spread over
// a European and a US-east client area in geo-region-outage; half of them
// through the nodes' HTTP proxies in proxy-region-outage). It writes a
// table (or JSON) and a self-contained HTML report.
//
// It is a command of its own so that the server binary, cmd/outlast, links
// none of it: Toxiproxy and the lab's fault injection stay out of what runs
// in production (cmd/outlast/deps_test.go holds that).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"syscall"
	"time"

	"outlast/internal/lab"
	"outlast/internal/lab/report"
)

// Exit codes scripts can rely on.
const (
	exitOK      = 0
	exitFailure = 1 // the lab could not run, or a scenario failed its bounds
	exitUsage   = 2 // the command line itself was wrong
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// run plays the demo: the seed's outages in a local lab, measured.
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("outlast-lab", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, "usage: go run ./cmd/outlast-lab [flags]\n\nPlays the 2021 outages in a local lab and reports how outlast rode them out.\n\n")
		fs.PrintDefaults()
	}
	only := fs.String("scenario", "", "run only this `scenario` (default: all)")
	asJSON := fs.Bool("json", false, "print the figures as JSON instead of a table")
	htmlPath := fs.String("html", "outlast-demo.html", "write the HTML report to this `file` (\"\" for none)")
	devices := fs.Int("devices", 200, "simulated client devices")
	verbose := fs.Bool("v", false, "show the lab's own logs")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return exitOK
		}
		return exitUsage // flag has said what was wrong
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "outlast-lab: unexpected argument %q; it takes flags only (-h lists them)\n", fs.Arg(0))
		return exitUsage
	}
	scenarios, err := pickScenarios(*only)
	if err != nil {
		fmt.Fprintln(stderr, "outlast-lab:", err)
		return exitUsage
	}
	logLevel := slog.LevelError + 4 // the lab's nodes are quiet unless asked
	if *verbose {
		logLevel = slog.LevelInfo
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := runDemo(ctx, scenarios, *devices, slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: logLevel})), stderr)
	if err != nil {
		fmt.Fprintln(stderr, "outlast-lab:", err)
		return exitFailure
	}
	if *asJSON {
		err = report.JSON(stdout, rep)
	} else {
		err = report.Table(stdout, rep)
	}
	if err == nil && *htmlPath != "" {
		err = writeHTML(*htmlPath, rep)
		if err == nil {
			fmt.Fprintf(stderr, "report: %s\n", *htmlPath)
		}
	}
	if err != nil {
		fmt.Fprintln(stderr, "outlast-lab:", err)
		return exitFailure
	}
	for _, r := range rep.Scenarios {
		if !r.Pass {
			return exitFailure
		}
	}
	return exitOK
}

func pickScenarios(name string) ([]lab.Scenario, error) {
	all := lab.Scenarios()
	if name == "" {
		return all, nil
	}
	var names []string
	for _, sc := range all {
		if sc.Name == name {
			return []lab.Scenario{sc}, nil
		}
		names = append(names, sc.Name)
	}
	return nil, fmt.Errorf("no scenario %q; choose one of %v", name, names)
}

func runDemo(ctx context.Context, scenarios []lab.Scenario, devices int, logger *slog.Logger, progress io.Writer) (lab.Report, error) {
	rep := lab.Report{Started: time.Now(), Version: versionString(),
		Machine: fmt.Sprintf("%s/%s, %d CPUs", runtime.GOOS, runtime.GOARCH, runtime.NumCPU())}
	fmt.Fprintf(progress, "starting the lab: 6 regions behind fault proxies (one in Europe), the CDN providers' DNS, 3 outlast nodes in aws, gcp and azure\n")
	l, err := lab.Start(logger)
	if err != nil {
		return rep, err
	}
	defer l.Close()
	for i, sc := range scenarios {
		started := time.Now()
		r, err := l.Run(ctx, sc, lab.RunOptions{Devices: devices, Progress: func(line string) {
			fmt.Fprintf(progress, "[%d/%d %5.1fs] %s\n", i+1, len(scenarios), time.Since(rep.Started).Seconds(), line)
		}})
		if err != nil {
			return rep, fmt.Errorf("%s: %w", sc.Name, err)
		}
		verdict := "PASS"
		if !r.Pass {
			verdict = "FAIL"
		}
		fmt.Fprintf(progress, "[%d/%d %5.1fs] %s: %s in %.0fs\n", i+1, len(scenarios), time.Since(rep.Started).Seconds(),
			sc.Name, verdict, time.Since(started).Seconds())
		rep.Scenarios = append(rep.Scenarios, r)
	}
	return rep, nil
}

func writeHTML(path string, rep lab.Report) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := report.HTML(f, rep); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// versionString names the build the report was made with.
func versionString() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			return s.Value[:12]
		}
	}
	return "dev"
}
