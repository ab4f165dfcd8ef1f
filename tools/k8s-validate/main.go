// Command k8s-validate checks Kubernetes manifests offline against the structural schema of the
// built-in API types that client-go compiles in (the schema the API server applies in server-side
// apply): every field must be declared (a typo such as `readinesProbe` is an error) and every
// value must have the declared type. Unknown kinds are errors too, unless listed with -skip-kind.
//
// kubeconform cannot run here without its schemas, which it downloads from GitHub; this tool needs
// nothing at run time.
//
// Usage: k8s-validate [-json] [-skip-kind Kustomization,...] FILE...
//
// With -json it prints every document it validated as one JSON array on stdout, so that a test can
// assert on exactly what was validated.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/applyconfigurations"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/yaml"
)

func main() {
	asJSON := flag.Bool("json", false, "print the validated documents as a JSON array on stdout")
	skip := flag.String("skip-kind", "", "comma-separated kinds that are not Kubernetes API objects (e.g. Kustomization)")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: k8s-validate [-json] [-skip-kind K1,K2] FILE...")
		os.Exit(2)
	}
	skipped := map[string]bool{}
	for _, kind := range strings.Split(*skip, ",") {
		if kind != "" {
			skipped[kind] = true
		}
	}

	converter := applyconfigurations.NewTypeConverter(scheme.Scheme)
	documents := []map[string]any{}
	valid, invalid := 0, 0
	for _, file := range flag.Args() {
		data, err := os.ReadFile(file)
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", file, err)
			os.Exit(2)
		}
		reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
		for index := 0; ; index++ {
			raw, err := reader.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				fmt.Fprintf(os.Stderr, "%s: %v\n", file, err)
				os.Exit(2)
			}
			if len(bytes.TrimSpace(stripComments(raw))) == 0 {
				continue
			}
			// Strict: duplicate keys are errors, as kubeconform -strict has them.
			jsonData, err := yaml.YAMLToJSONStrict(raw)
			if err != nil {
				fmt.Fprintf(os.Stderr, "%s #%d - INVALID: %v\n", file, index, err)
				invalid++
				continue
			}
			object := map[string]any{}
			if err := json.Unmarshal(jsonData, &object); err != nil {
				fmt.Fprintf(os.Stderr, "%s #%d: not an object: %v\n", file, index, err)
				invalid++
				continue
			}
			u := &unstructured.Unstructured{Object: object}
			gvk := u.GroupVersionKind()
			name := fmt.Sprintf("%s #%d %s %s", file, index, gvk.Kind, u.GetName())
			documents = append(documents, object)
			if skipped[gvk.Kind] {
				fmt.Fprintf(os.Stderr, "%s - skipped (-skip-kind)\n", name)
				continue
			}
			if gvk.Kind == "" || gvk.Version == "" {
				fmt.Fprintf(os.Stderr, "%s - INVALID: missing apiVersion or kind\n", name)
				invalid++
				continue
			}
			if _, err := converter.ObjectToTyped(u); err != nil {
				fmt.Fprintf(os.Stderr, "%s - INVALID: %v\n", name, err)
				invalid++
				continue
			}
			fmt.Fprintf(os.Stderr, "%s - valid (%s)\n", name, gvk.GroupVersion())
			valid++
		}
	}
	fmt.Fprintf(os.Stderr, "Summary: %d resources valid, %d invalid\n", valid, invalid)
	if *asJSON {
		out, err := json.Marshal(documents)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		fmt.Println(string(out))
	}
	if invalid > 0 || valid == 0 {
		os.Exit(1)
	}
}

func stripComments(raw []byte) []byte {
	var out [][]byte
	for _, line := range bytes.Split(raw, []byte("\n")) {
		if t := bytes.TrimSpace(line); len(t) > 0 && t[0] != '#' && !bytes.Equal(t, []byte("---")) {
			out = append(out, line)
		}
	}
	return bytes.Join(out, []byte("\n"))
}
