// bi-reader: reads every bi_* view of a ShelfStream SQL endpoint through clickhouse-go v2 as
// Grafana's ClickHouse data source does (HTTP protocol, LZ4 compression, Native format), and
// prints one JSON line per view for the integration test to compare with the embedded client.
//
//	bi-reader -addr 127.0.0.1:8123 -user default -password '' -database shelfstream
//	bi-reader -decode-native 54460 < body.native
//	bi-reader -decode-blocks < body.compressed > body
//
// Values are printed in a form that keeps what the driver decoded: integers and decimals as
// decimal strings (no float rounding), floats as JSON numbers, times as RFC 3339 in UTC,
// NULL as null.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/big"
	"net"
	"net/netip"
	"os"
	"reflect"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"
)

type viewResult struct {
	View    string          `json:"view"`
	Columns []columnInfo    `json:"columns"`
	Rows    [][]interface{} `json:"rows"`
}

type columnInfo struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

type serverInfo struct {
	Kind     string `json:"kind"`
	Version  string `json:"version"`
	Timezone string `json:"timezone"`
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8123", "host:port of the ClickHouse HTTP interface")
	user := flag.String("user", "default", "user")
	password := flag.String("password", "", "password")
	database := flag.String("database", "default", "database holding the bi_* views")
	decodeRevision := flag.Uint64("decode-native", 0, "instead: decode a Native stream from stdin written for this client revision")
	blocks := flag.Bool("decode-blocks", false, "instead: decode ClickHouse compressed blocks from stdin to stdout")
	flag.Parse()
	if *blocks {
		if err := decodeBlocks(); err != nil {
			fmt.Fprintln(os.Stderr, "bi-reader:", err)
			os.Exit(1)
		}
		return
	}
	if *decodeRevision > 0 {
		if err := decodeNative(*decodeRevision); err != nil {
			fmt.Fprintln(os.Stderr, "bi-reader:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(*addr, *user, *password, *database); err != nil {
		fmt.Fprintln(os.Stderr, "bi-reader:", err)
		os.Exit(1)
	}
}

func run(addr, user, password, database string) error {
	conn, err := clickhouse.Open(&clickhouse.Options{
		Protocol:    clickhouse.HTTP,
		Addr:        []string{addr},
		Auth:        clickhouse.Auth{Database: database, Username: user, Password: password},
		Compression: &clickhouse.Compression{Method: clickhouse.CompressionLZ4},
		DialTimeout: 10 * time.Second,
		ReadTimeout: 60 * time.Second,
	})
	if err != nil {
		return fmt.Errorf("open: %w", err)
	}
	defer conn.Close()
	ctx := context.Background()
	if err := conn.Ping(ctx); err != nil {
		return fmt.Errorf("ping: %w", err)
	}
	version, err := conn.ServerVersion()
	if err != nil {
		return fmt.Errorf("server version: %w", err)
	}
	out := json.NewEncoder(os.Stdout)
	if err := out.Encode(serverInfo{Kind: "server", Version: version.String(), Timezone: version.Timezone.String()}); err != nil {
		return err
	}

	// The view list as Grafana's schema browser asks for it.
	names := []string{}
	listed, err := conn.Query(ctx, "SELECT name FROM system.tables WHERE database = {db:String} AND name LIKE 'bi\\_%' ORDER BY name", clickhouse.Named("db", database))
	if err != nil {
		return fmt.Errorf("list views: %w", err)
	}
	for listed.Next() {
		var name string
		if err := listed.Scan(&name); err != nil {
			return fmt.Errorf("list views: %w", err)
		}
		names = append(names, name)
	}
	if err := listed.Err(); err != nil {
		return fmt.Errorf("list views: %w", err)
	}
	listed.Close()

	for _, name := range names {
		result, err := readView(ctx, conn, name)
		if err != nil {
			return fmt.Errorf("read %s: %w", name, err)
		}
		if err := out.Encode(result); err != nil {
			return err
		}
	}
	return nil
}

func readView(ctx context.Context, conn clickhouse.Conn, name string) (*viewResult, error) {
	rows, err := conn.Query(ctx, fmt.Sprintf("SELECT * FROM `%s` ORDER BY ALL", name))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	types := rows.ColumnTypes()
	result := &viewResult{View: name, Columns: make([]columnInfo, len(types)), Rows: [][]interface{}{}}
	for i, t := range types {
		result.Columns[i] = columnInfo{Name: t.Name(), Type: t.DatabaseTypeName()}
	}
	for rows.Next() {
		holders := make([]interface{}, len(types))
		for i, t := range types {
			holders[i] = reflect.New(t.ScanType()).Interface()
		}
		if err := rows.Scan(holders...); err != nil {
			return nil, err
		}
		row := make([]interface{}, len(types))
		for i, h := range holders {
			row[i] = plain(reflect.ValueOf(h).Elem().Interface())
		}
		result.Rows = append(result.Rows, row)
	}
	return result, rows.Err()
}

// plain turns what the driver decoded into a JSON value that loses nothing a comparison needs.
func plain(v interface{}) interface{} {
	switch x := v.(type) {
	case nil:
		return nil
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case decimal.Decimal:
		return x.String()
	case uuid.UUID:
		return x.String()
	case *big.Int:
		return x.String()
	case big.Int:
		return x.String()
	case net.IP:
		return x.String()
	case netip.Addr:
		return x.String()
	case int8, int16, int32, int64, uint8, uint16, uint32, uint64, int, uint:
		return fmt.Sprint(x)
	case float32:
		return float64(x)
	case float64, string, bool:
		return x
	}
	r := reflect.ValueOf(v)
	switch r.Kind() {
	case reflect.Ptr:
		if r.IsNil() {
			return nil
		}
		return plain(r.Elem().Interface())
	case reflect.Slice, reflect.Array:
		items := make([]interface{}, r.Len())
		for i := range items {
			items[i] = plain(r.Index(i).Interface())
		}
		return items
	case reflect.Map:
		entries := map[string]interface{}{}
		for _, k := range r.MapKeys() {
			entries[fmt.Sprint(plain(k.Interface()))] = plain(r.MapIndex(k).Interface())
		}
		return entries
	}
	return fmt.Sprint(v)
}
