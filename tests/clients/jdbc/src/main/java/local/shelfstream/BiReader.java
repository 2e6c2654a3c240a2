package local.shelfstream;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * Reads a ShelfStream SQL endpoint as Metabase and DBeaver do, through java.sql only, with the
 * driver's defaults: the metadata calls a schema browser makes, a prepared statement with
 * parameters, then every bi_* view. Prints one JSON line per step for the integration test.
 *
 * <pre>java -cp ... local.shelfstream.BiReader jdbc:clickhouse://127.0.0.1:8123/db user password</pre>
 *
 * Values keep what the driver decoded: integers and decimals as decimal strings, floats as JSON
 * numbers, times as ISO-8601 instants in UTC, NULL as null.
 */
public final class BiReader {
  private BiReader() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 3) {
      System.err.println("usage: BiReader <jdbc url> <user> <password>");
      System.exit(2);
    }
    Properties properties = new Properties();
    properties.setProperty("user", args[1]);
    properties.setProperty("password", args[2]);
    try (Connection connection = DriverManager.getConnection(args[0], properties)) {
      DatabaseMetaData meta = connection.getMetaData();
      String database = connection.getSchema() != null ? connection.getSchema() : connection.getCatalog();
      print(obj("kind", str("server"), "product", str(meta.getDatabaseProductName()),
          "version", str(meta.getDatabaseProductVersion()), "driver", str(meta.getDriverVersion()), "database", str(database)));

      print(obj("kind", str("schemas"), "names", arr(column(meta.getSchemas(), "TABLE_SCHEM"))));
      print(obj("kind", str("catalogs"), "names", arr(column(meta.getCatalogs(), "TABLE_CAT"))));

      List<String> views = new ArrayList<>();
      try (ResultSet tables = meta.getTables(null, database, "bi\\_%", null)) {
        while (tables.next()) views.add(tables.getString("TABLE_NAME"));
      }
      views.sort(null);
      print(obj("kind", str("tables"), "names", arr(views.stream().map(BiReader::str).toList())));

      for (String view : views) {
        List<String> columns = new ArrayList<>();
        try (ResultSet cols = meta.getColumns(null, database, view, null)) {
          while (cols.next()) {
            columns.add(obj("name", str(cols.getString("COLUMN_NAME")), "type", str(cols.getString("TYPE_NAME"))));
          }
        }
        print(obj("kind", str("columns"), "view", str(view), "columns", arr(columns)));
      }

      // A dashboard filter as Metabase sends it: a prepared statement with bound parameters.
      try (PreparedStatement statement = connection.prepareStatement(
          "SELECT count() AS stores, min(store_id) AS first_store FROM bi_dim_store WHERE store_id >= ? AND opened_on <= ?")) {
        statement.setString(1, "");
        statement.setObject(2, LocalDate.of(2100, 1, 1));
        try (ResultSet rs = statement.executeQuery()) {
          List<String> rows = rows(rs);
          print(obj("kind", str("prepared"), "rows", arr(rows)));
        }
      }

      for (String view : views) {
        try (Statement statement = connection.createStatement();
             ResultSet rs = statement.executeQuery("SELECT * FROM `" + view + "` ORDER BY ALL")) {
          ResultSetMetaData md = rs.getMetaData();
          List<String> columns = new ArrayList<>();
          for (int i = 1; i <= md.getColumnCount(); i++) {
            columns.add(obj("name", str(md.getColumnLabel(i)), "type", str(md.getColumnTypeName(i))));
          }
          List<String> rows = rows(rs);
          print(obj("kind", str("view"), "view", str(view), "columns", arr(columns), "rows", arr(rows)));
        }
      }
    }
  }

  private static List<String> column(ResultSet rs, String name) throws SQLException {
    List<String> values = new ArrayList<>();
    try (rs) {
      while (rs.next()) values.add(str(rs.getString(name)));
    }
    return values;
  }

  private static List<String> rows(ResultSet rs) throws SQLException {
    int count = rs.getMetaData().getColumnCount();
    List<String> rows = new ArrayList<>();
    while (rs.next()) {
      List<String> row = new ArrayList<>();
      for (int i = 1; i <= count; i++) row.add(value(rs.getObject(i)));
      rows.add(arr(row));
    }
    return rows;
  }

  private static String value(Object v) {
    if (v == null) return "null";
    if (v instanceof Boolean || v instanceof Double || v instanceof Float) {
      double d = ((Number) (v instanceof Boolean ? (((Boolean) v) ? 1 : 0) : v)).doubleValue();
      return v instanceof Boolean ? v.toString() : (Double.isFinite(d) ? Double.toString(d) : str(Double.toString(d)));
    }
    if (v instanceof BigDecimal) return str(((BigDecimal) v).toPlainString());
    if (v instanceof Number) return str(v.toString());
    if (v instanceof LocalDate) return str(v.toString());
    if (v instanceof LocalDateTime) return str(((LocalDateTime) v).toInstant(ZoneOffset.UTC).toString());
    if (v instanceof ZonedDateTime) return str(((ZonedDateTime) v).toInstant().toString());
    if (v instanceof OffsetDateTime) return str(((OffsetDateTime) v).toInstant().toString());
    if (v instanceof Instant) return str(v.toString());
    if (v instanceof java.sql.Timestamp) return str(((java.sql.Timestamp) v).toInstant().toString());
    if (v instanceof java.sql.Date) return str(((java.sql.Date) v).toLocalDate().toString());
    if (v instanceof java.sql.Array) {
      try {
        Object[] items = (Object[]) ((java.sql.Array) v).getArray();
        List<String> out = new ArrayList<>();
        for (Object item : items) out.add(value(item));
        return arr(out);
      } catch (SQLException e) {
        throw new IllegalStateException(e);
      }
    }
    return str(v.toString());
  }

  private static void print(String line) {
    System.out.println(line);
  }

  private static String obj(String... keyValues) {
    StringBuilder sb = new StringBuilder("{");
    for (int i = 0; i < keyValues.length; i += 2) {
      if (i > 0) sb.append(',');
      sb.append(str(keyValues[i])).append(':').append(keyValues[i + 1]);
    }
    return sb.append('}').toString();
  }

  private static String arr(List<String> items) {
    return "[" + String.join(",", items) + "]";
  }

  private static String str(String s) {
    if (s == null) return "null";
    StringBuilder sb = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      switch (c) {
        case '"': sb.append("\\\""); break;
        case '\\': sb.append("\\\\"); break;
        case '\n': sb.append("\\n"); break;
        case '\r': sb.append("\\r"); break;
        case '\t': sb.append("\\t"); break;
        default:
          if (c < 0x20) sb.append(String.format("\\u%04x", (int) c)); else sb.append(c);
      }
    }
    return sb.append('"').toString();
  }
}
