package onnxpb

import (
	"bytes"
	"fmt"
	"math"
	"reflect"
)

// sameBits is reflect.DeepEqual for this package's structs, except that
// floats are compared bit for bit (so NaN equals the same NaN). It returns
// "" when a and b are equal, else the path of the first difference.
func sameBits(a, b any) string {
	return diffValue(reflect.ValueOf(a), reflect.ValueOf(b), "")
}

func diffValue(x, y reflect.Value, path string) string {
	if x.Kind() != y.Kind() || x.Type() != y.Type() {
		return path + ": type differs"
	}
	switch x.Kind() {
	case reflect.Pointer:
		if x.IsNil() || y.IsNil() {
			if x.IsNil() != y.IsNil() {
				return path + ": nil vs non-nil"
			}
			return ""
		}
		return diffValue(x.Elem(), y.Elem(), path)
	case reflect.Struct:
		for i := range x.NumField() {
			if d := diffValue(x.Field(i), y.Field(i), path+"."+x.Type().Field(i).Name); d != "" {
				return d
			}
		}
		return ""
	case reflect.Slice:
		if x.IsNil() != y.IsNil() {
			return path + ": nil vs empty slice"
		}
		if x.Len() != y.Len() {
			return fmt.Sprintf("%s: len %d vs %d", path, x.Len(), y.Len())
		}
		if x.Type().Elem().Kind() == reflect.Uint8 {
			if !bytes.Equal(x.Bytes(), y.Bytes()) {
				return path + ": bytes differ"
			}
			return ""
		}
		for i := range x.Len() {
			if d := diffValue(x.Index(i), y.Index(i), fmt.Sprintf("%s[%d]", path, i)); d != "" {
				return d
			}
		}
		return ""
	case reflect.Float32, reflect.Float64:
		if math.Float64bits(x.Float()) != math.Float64bits(y.Float()) {
			return fmt.Sprintf("%s: %v vs %v", path, x.Float(), y.Float())
		}
		return ""
	case reflect.String:
		if x.String() != y.String() {
			return fmt.Sprintf("%s: %q vs %q", path, x.String(), y.String())
		}
		return ""
	case reflect.Bool:
		if x.Bool() != y.Bool() {
			return path + ": bool differs"
		}
		return ""
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if x.Int() != y.Int() {
			return fmt.Sprintf("%s: %d vs %d", path, x.Int(), y.Int())
		}
		return ""
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if x.Uint() != y.Uint() {
			return fmt.Sprintf("%s: %d vs %d", path, x.Uint(), y.Uint())
		}
		return ""
	}
	return path + ": unhandled kind " + x.Kind().String()
}
