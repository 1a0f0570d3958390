// Command testimage is the one binary of the test cluster's image. Without
// arguments it is the pod sandbox ("pause"): it waits for a signal. With a
// mode it plays a workload for the tests.
//
//	testimage                      wait for SIGTERM/SIGINT
//	testimage log LINE...          print the lines, then wait
//	testimage exit CODE LINE...    print the lines, then exit with CODE
//	testimage exit-after DURATION CODE LINE...
//	                               print the lines, wait, then exit with CODE
//	testimage cat FILE...          copy the files to stdout
//	testimage tar DIR              write a tar stream of DIR to stdout
//	testimage list-namespaces      list namespaces with the in-cluster config
//	testimage aggregated-api ADDR NAME...
//	                               serve an aggregated API (HTTPS on ADDR) of one
//	                               cluster-scoped type whose objects have the NAMEs
//
// Installed as /usr/bin/gather (its name is "gather") it is a node agent
// that never answers: whatever the arguments, it waits for a signal. Tests
// use it to hold a debug pod in the middle of its work.
package main

import (
	"archive/tar"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"k8s.io/client-go/rest"
)

func main() {
	if filepath.Base(os.Args[0]) == "gather" {
		_ = wait()
		return
	}
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "testimage:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 {
		return wait()
	}
	switch mode, rest := args[0], args[1:]; mode {
	case "log":
		for _, l := range rest {
			fmt.Println(l)
		}
		return wait()
	case "exit":
		if len(rest) == 0 {
			return fmt.Errorf("exit: missing code")
		}
		code, err := strconv.Atoi(rest[0])
		if err != nil {
			return err
		}
		for _, l := range rest[1:] {
			fmt.Println(l)
		}
		os.Exit(code)
	case "exit-after":
		if len(rest) < 2 {
			return fmt.Errorf("exit-after: want a duration and a code")
		}
		d, err := time.ParseDuration(rest[0])
		if err != nil {
			return err
		}
		code, err := strconv.Atoi(rest[1])
		if err != nil {
			return err
		}
		for _, l := range rest[2:] {
			fmt.Println(l)
		}
		time.Sleep(d)
		os.Exit(code)
	case "cat":
		for _, f := range rest {
			if err := cat(f); err != nil {
				return err
			}
		}
		return nil
	case "tar":
		if len(rest) != 1 {
			return fmt.Errorf("tar: want one directory")
		}
		return writeTar(os.Stdout, rest[0])
	case "list-namespaces":
		return listNamespaces()
	case "aggregated-api":
		if len(rest) < 1 {
			return fmt.Errorf("aggregated-api: want an address")
		}
		return aggregatedAPI(rest[0], rest[1:])
	}
	return fmt.Errorf("unknown mode %q", args[0])
}

func wait() error {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGTERM, syscall.SIGINT)
	<-ch
	return nil
}

func cat(name string) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(os.Stdout, f)
	return err
}

func writeTar(w io.Writer, dir string) error {
	tw := tar.NewWriter(w)
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if !info.Mode().IsRegular() && !info.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		hdr, err := tar.FileInfoHeader(info, "")
		if err != nil {
			return err
		}
		hdr.Name = filepath.ToSlash(rel)
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if info.IsDir() {
			return nil
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(tw, f)
		return err
	})
	if err != nil {
		return err
	}
	return tw.Close()
}

func listNamespaces() error {
	cfg, err := rest.InClusterConfig()
	if err != nil {
		return err
	}
	hc, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, cfg.Host+"/api/v1/namespaces", nil)
	if err != nil {
		return err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("listing namespaces: %s: %s", resp.Status, b)
	}
	var list struct {
		Items []struct {
			Metadata struct {
				Name string `json:"name"`
			} `json:"metadata"`
		} `json:"items"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		return err
	}
	for _, i := range list.Items {
		fmt.Println(i.Metadata.Name)
	}
	return nil
}
