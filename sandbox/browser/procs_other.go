//go:build !linux

package browser

// processesUsing is only implemented on Linux, where the sandbox runs.
func processesUsing(dir string) []int { return nil }

// killProcessesUsing relies on chromedp killing the browser elsewhere.
func killProcessesUsing(dir string) {}
