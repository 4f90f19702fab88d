package sandbox

import "strings"

// Device is the class of device a clicker's browser claims, on the wire:
// kits cloak by it (a harmless page or a 404 for desktop browsers, an APK
// for Android, an Apple ID form for iPhones), so a verdict holds for one
// class. The click proxy keys its verdict cache by it (with the URL).
type Device string

const (
	DeviceDesktop Device = "desktop" // anything that is neither of the others, and no User-Agent
	DeviceAndroid Device = "android"
	DeviceIOS     Device = "ios" // iPhone, iPad, iPod, whatever the browser app
)

// Devices are the classes, desktop first.
var Devices = []Device{DeviceDesktop, DeviceAndroid, DeviceIOS}

// DeviceOf is the class a User-Agent claims. It reads only the tokens a
// kit reads too: "iPhone", "iPad" or "iPod" is iOS (Chrome and Firefox on
// iOS say so as well: CriOS, FxiOS), "Android" is Android (phones and
// tablets), anything else is a desktop. (An iPad whose Safari asks for
// the desktop site sends a Macintosh User-Agent: a desktop, as a kit sees
// it on the server.)
func DeviceOf(userAgent string) Device {
	// ASCII case folding without an allocation: User-Agents are ASCII,
	// and this runs on every click.
	switch {
	case containsFold(userAgent, "iphone"), containsFold(userAgent, "ipad"), containsFold(userAgent, "ipod"):
		return DeviceIOS
	case containsFold(userAgent, "android"):
		return DeviceAndroid
	}
	return DeviceDesktop
}

// Valid reports whether d is one of Devices.
func (d Device) Valid() bool {
	return d == DeviceDesktop || d == DeviceAndroid || d == DeviceIOS
}

// containsFold reports whether s contains sub (lower-case ASCII), ignoring
// ASCII case.
func containsFold(s, sub string) bool {
	n := len(sub)
	for i := 0; i+n <= len(s); i++ {
		if strings.EqualFold(s[i:i+n], sub) {
			return true
		}
	}
	return false
}
