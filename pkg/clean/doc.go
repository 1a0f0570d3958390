// Package clean obfuscates a gathered bundle for sharing: IP addresses, MAC
// addresses and the cluster's host and domain names are replaced, in file
// contents (gzipped ones and base64 ConfigMap/Secret values included) and
// in file names, by pseudonyms that stay the same across files and runs
// (Mapping).
package clean
