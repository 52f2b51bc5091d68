/*
 * A small JSON reader and writer for Overcast's Java runtime client, since the JDK has none:
 * objects read as LinkedHashMap, arrays as ArrayList, integers as Integer, Long or BigInteger,
 * other numbers as Double (as Jackson reads them into Object); POJOs written by their properties.
 */

import java.lang.reflect.Array;
import java.math.BigInteger;
import java.net.URL;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

final class OvercastJavaRuntimeJson {
    final String text;
    int pos;

    OvercastJavaRuntimeJson(String text) {
        this.text = text;
    }

    static Object parse(String text) {
        OvercastJavaRuntimeJson parser = new OvercastJavaRuntimeJson(text);
        parser.space();
        Object value = parser.value();
        parser.space();
        if (parser.pos != text.length()) {
            throw parser.error("Unexpected character");
        }
        return value;
    }

    IllegalArgumentException error(String what) {
        return new IllegalArgumentException(what + " at offset " + pos);
    }

    void space() {
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                break;
            }
            pos++;
        }
    }

    Object value() {
        if (pos >= text.length()) {
            throw error("No content to map due to end-of-input");
        }
        char c = text.charAt(pos);
        if (c == '{') {
            pos++;
            Map<String, Object> map = new LinkedHashMap<String, Object>();
            space();
            if (peek('}')) {
                return map;
            }
            while (true) {
                space();
                if (pos >= text.length() || text.charAt(pos) != '"') {
                    throw error("Expected a field name");
                }
                String key = string();
                space();
                expect(':');
                space();
                map.put(key, value());
                space();
                if (peek('}')) {
                    return map;
                }
                expect(',');
            }
        }
        if (c == '[') {
            pos++;
            List<Object> list = new ArrayList<Object>();
            space();
            if (peek(']')) {
                return list;
            }
            while (true) {
                space();
                list.add(value());
                space();
                if (peek(']')) {
                    return list;
                }
                expect(',');
            }
        }
        if (c == '"') {
            return string();
        }
        if (text.startsWith("true", pos)) {
            pos += 4;
            return Boolean.TRUE;
        }
        if (text.startsWith("false", pos)) {
            pos += 5;
            return Boolean.FALSE;
        }
        if (text.startsWith("null", pos)) {
            pos += 4;
            return null;
        }
        return number();
    }

    boolean peek(char c) {
        if (pos < text.length() && text.charAt(pos) == c) {
            pos++;
            return true;
        }
        return false;
    }

    void expect(char c) {
        if (!peek(c)) {
            throw error("Expected '" + c + "'");
        }
    }

    String string() {
        pos++; // the opening quote
        StringBuilder out = new StringBuilder();
        while (true) {
            if (pos >= text.length()) {
                throw error("Unterminated string");
            }
            char c = text.charAt(pos++);
            if (c == '"') {
                return out.toString();
            }
            if (c != '\\') {
                out.append(c);
                continue;
            }
            if (pos >= text.length()) {
                throw error("Unterminated string");
            }
            char e = text.charAt(pos++);
            switch (e) {
                case 'n': out.append('\n'); break;
                case 't': out.append('\t'); break;
                case 'r': out.append('\r'); break;
                case 'b': out.append('\b'); break;
                case 'f': out.append('\f'); break;
                case 'u':
                    if (pos + 4 > text.length()) {
                        throw error("Bad unicode escape");
                    }
                    out.append((char) Integer.parseInt(text.substring(pos, pos + 4), 16));
                    pos += 4;
                    break;
                default: out.append(e);
            }
        }
    }

    Object number() {
        int start = pos;
        boolean decimal = false;
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c == '.' || c == 'e' || c == 'E') {
                decimal = true;
            } else if (!(c == '-' || c == '+' || (c >= '0' && c <= '9'))) {
                break;
            }
            pos++;
        }
        String digits = text.substring(start, pos);
        if (digits.isEmpty()) {
            throw error("Unrecognized token");
        }
        if (decimal) {
            return Double.parseDouble(digits);
        }
        BigInteger big = new BigInteger(digits);
        if (big.bitLength() < 32) {
            return big.intValue();
        }
        if (big.bitLength() < 64) {
            return big.longValue();
        }
        return big;
    }

    static String write(Object value) {
        StringBuilder out = new StringBuilder();
        try {
            write(value, out, 0);
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new RuntimeException(e);
        }
        return out.toString();
    }

    static void write(Object value, StringBuilder out, int depth) throws Exception {
        if (depth > 1000) {
            throw new IllegalStateException("Document nesting depth exceeds the maximum allowed (1000)");
        }
        if (value == null) {
            out.append("null");
        } else if (value instanceof String || value instanceof Character || value instanceof Enum) {
            quote(value instanceof Enum ? ((Enum<?>) value).name() : value.toString(), out);
        } else if (value instanceof Boolean) {
            out.append(value.toString());
        } else if (value instanceof Double || value instanceof Float) {
            double d = ((Number) value).doubleValue();
            if (Double.isNaN(d) || Double.isInfinite(d)) {
                quote(value.toString(), out);
            } else {
                out.append(value.toString());
            }
        } else if (value instanceof Number) {
            out.append(value.toString());
        } else if (value instanceof Optional) {
            write(((Optional<?>) value).orElse(null), out, depth + 1);
        } else if (value instanceof Date) {
            out.append(((Date) value).getTime());
        } else if (value instanceof Map) {
            out.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> entry : ((Map<?, ?>) value).entrySet()) {
                if (!first) {
                    out.append(',');
                }
                first = false;
                quote(String.valueOf(entry.getKey()), out);
                out.append(':');
                write(entry.getValue(), out, depth + 1);
            }
            out.append('}');
        } else if (value instanceof Iterable) {
            out.append('[');
            boolean first = true;
            for (Object item : (Iterable<?>) value) {
                if (!first) {
                    out.append(',');
                }
                first = false;
                write(item, out, depth + 1);
            }
            out.append(']');
        } else if (value instanceof byte[]) {
            quote(Base64.getEncoder().encodeToString((byte[]) value), out);
        } else if (value instanceof char[]) {
            quote(new String((char[]) value), out);
        } else if (value.getClass().isArray()) {
            out.append('[');
            int n = Array.getLength(value);
            for (int i = 0; i < n; i++) {
                if (i > 0) {
                    out.append(',');
                }
                write(Array.get(value, i), out, depth + 1);
            }
            out.append(']');
        } else if (value.getClass().getName().startsWith("java.time.") || value instanceof java.util.UUID
                || value instanceof java.net.URI || value instanceof URL || value instanceof Class) {
            quote(value instanceof Class ? ((Class<?>) value).getName() : value.toString(), out);
        } else {
            out.append('{');
            boolean first = true;
            for (Map.Entry<String, Object> entry : OvercastJavaRuntimeTypes.properties(value).entrySet()) {
                if (entry.getValue() == null) {
                    continue; // nulls are left out, as AWS's serializer leaves them out
                }
                if (!first) {
                    out.append(',');
                }
                first = false;
                quote(entry.getKey(), out);
                out.append(':');
                write(entry.getValue(), out, depth + 1);
            }
            out.append('}');
        }
    }

    static void quote(String text, StringBuilder out) {
        out.append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"': out.append("\\\""); break;
                case '\\': out.append("\\\\"); break;
                case '\n': out.append("\\n"); break;
                case '\r': out.append("\\r"); break;
                case '\t': out.append("\\t"); break;
                case '\b': out.append("\\b"); break;
                case '\f': out.append("\\f"); break;
                default:
                    if (c < 0x20) {
                        out.append(String.format("\\u%04X", (int) c));
                    } else {
                        out.append(c);
                    }
            }
        }
        out.append('"');
    }
}
