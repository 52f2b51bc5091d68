/*
 * JSON values to a Java handler's declared types and back, for Overcast's Java runtime client
 * (OvercastJavaRuntime.java): what AWS's Jackson-based serializer does for the types the Java
 * developer guide lists.
 */

import java.lang.reflect.Array;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.GenericArrayType;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.lang.reflect.TypeVariable;
import java.lang.reflect.WildcardType;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.net.URL;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.Collections;
import java.util.Date;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/** JSON values to the handler's declared types and back, as AWS's serializer (Jackson) reads
 * them: POJOs by setters and public fields, records by their components, unknown properties
 * ignored, standard bean names (getURL is "URL", getName is "name"), nulls left out. */
final class OvercastJavaRuntimeTypes {
    static boolean isVoid(Type t) {
        return t == null || t == void.class || t == Void.class;
    }

    static Object defaultValue(Class<?> type) {
        if (!type.isPrimitive() || type == void.class) {
            return null;
        }
        if (type == boolean.class) {
            return false;
        }
        if (type == char.class) {
            return '\0';
        }
        return convertNumber(0, type);
    }

    static Class<?> raw(Type t) {
        if (t instanceof Class) {
            return (Class<?>) t;
        }
        if (t instanceof ParameterizedType) {
            return raw(((ParameterizedType) t).getRawType());
        }
        if (t instanceof GenericArrayType) {
            Class<?> component = raw(((GenericArrayType) t).getGenericComponentType());
            return component == null ? null : Array.newInstance(component, 0).getClass();
        }
        if (t instanceof WildcardType) {
            return raw(((WildcardType) t).getUpperBounds()[0]);
        }
        if (t instanceof TypeVariable) {
            Type[] bounds = ((TypeVariable<?>) t).getBounds();
            return bounds.length == 0 ? Object.class : raw(bounds[0]);
        }
        return null;
    }

    static Type argument(Type t, int index) {
        if (t instanceof ParameterizedType) {
            Type[] args = ((ParameterizedType) t).getActualTypeArguments();
            if (index < args.length) {
                return args[index];
            }
        }
        return Object.class;
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    static Object convert(Object value, Type type) throws Exception {
        Class<?> cls = raw(type);
        if (cls == null || cls == Object.class) {
            return value;
        }
        if (value == null) {
            return defaultValue(cls);
        }
        if (cls == Optional.class) {
            return Optional.ofNullable(convert(value, argument(type, 0)));
        }
        boolean container = Map.class.isAssignableFrom(cls) || Collection.class.isAssignableFrom(cls) || cls.isArray();
        if (value instanceof List && !container) {
            List<?> list = (List<?>) value;
            if (list.size() == 1) {
                return convert(list.get(0), type); // a single value wrapped in an array
            }
            if (list.isEmpty() && !cls.isPrimitive()) {
                return null;
            }
        }
        if (cls == String.class || cls == CharSequence.class) {
            if (value instanceof Map || value instanceof List) {
                throw new IllegalArgumentException("Cannot deserialize value of type `java.lang.String` from "
                    + (value instanceof Map ? "Object" : "Array") + " value");
            }
            return String.valueOf(value);
        }
        if (cls == boolean.class || cls == Boolean.class) {
            if (value instanceof Boolean) {
                return value;
            }
            if (value instanceof String) {
                String text = ((String) value).trim();
                if (text.equals("true") || text.equals("false")) {
                    return Boolean.valueOf(text);
                }
            }
            if (value instanceof Number) {
                return ((Number) value).intValue() != 0;
            }
            throw new IllegalArgumentException("Cannot deserialize value of type `" + cls.getName() + "` from " + describe(value));
        }
        if (cls == char.class || cls == Character.class) {
            String text = String.valueOf(value);
            if (text.length() == 1) {
                return text.charAt(0);
            }
            throw new IllegalArgumentException("Cannot coerce String value (\"" + text + "\") to `char` value");
        }
        if (cls.isPrimitive() || Number.class.isAssignableFrom(cls)) {
            Number number;
            if (value instanceof Number) {
                number = (Number) value;
            } else if (value instanceof String) {
                String text = ((String) value).trim();
                if (text.isEmpty()) {
                    return cls.isPrimitive() ? defaultValue(cls) : null;
                }
                number = new BigDecimal(text);
            } else {
                throw new IllegalArgumentException("Cannot deserialize value of type `" + cls.getName() + "` from " + describe(value));
            }
            return convertNumber(number, cls);
        }
        if (cls.isEnum()) {
            String name = String.valueOf(value);
            for (Object constant : cls.getEnumConstants()) {
                if (((Enum<?>) constant).name().equals(name)) {
                    return constant;
                }
            }
            return null;
        }
        if (cls.isArray()) {
            if (cls == byte[].class && value instanceof String) {
                return Base64.getDecoder().decode((String) value);
            }
            List<?> items = value instanceof List ? (List<?>) value : Collections.singletonList(value);
            Type component = type instanceof GenericArrayType
                ? ((GenericArrayType) type).getGenericComponentType() : cls.getComponentType();
            Object array = Array.newInstance(cls.getComponentType(), items.size());
            for (int i = 0; i < items.size(); i++) {
                Array.set(array, i, convert(items.get(i), component));
            }
            return array;
        }
        if (Collection.class.isAssignableFrom(cls)) {
            List<?> items = value instanceof List ? (List<?>) value : Collections.singletonList(value);
            Collection<Object> result;
            if (!cls.isInterface() && !Modifier.isAbstract(cls.getModifiers())) {
                result = (Collection<Object>) cls.getDeclaredConstructor().newInstance();
            } else if (SortedSet.class.isAssignableFrom(cls)) {
                result = new TreeSet<Object>();
            } else if (Set.class.isAssignableFrom(cls)) {
                result = new LinkedHashSet<Object>();
            } else {
                result = new ArrayList<Object>();
            }
            Type element = argument(type, 0);
            for (Object item : items) {
                result.add(convert(item, element));
            }
            return result;
        }
        if (Map.class.isAssignableFrom(cls)) {
            if (!(value instanceof Map)) {
                throw new IllegalArgumentException("Cannot deserialize value of type `" + cls.getName() + "` from " + describe(value));
            }
            Map<Object, Object> result;
            if (!cls.isInterface() && !Modifier.isAbstract(cls.getModifiers())) {
                result = (Map<Object, Object>) cls.getDeclaredConstructor().newInstance();
            } else if (SortedMap.class.isAssignableFrom(cls)) {
                result = new TreeMap<Object, Object>();
            } else {
                result = new LinkedHashMap<Object, Object>();
            }
            Type keyType = argument(type, 0);
            Type valueType = argument(type, 1);
            for (Map.Entry<?, ?> entry : ((Map<?, ?>) value).entrySet()) {
                result.put(convert(entry.getKey(), keyType), convert(entry.getValue(), valueType));
            }
            return result;
        }
        if (value instanceof String && ((String) value).isEmpty()) {
            return null; // an empty string reads as a null object
        }
        if (!(value instanceof Map)) {
            Object made = fromScalar(value, cls);
            if (made != null) {
                return made;
            }
            throw new IllegalArgumentException("Cannot construct instance of `" + cls.getName()
                + "`: no delegate- or property-based Creator to deserialize from " + describe(value));
        }
        return pojo((Map<String, Object>) value, cls, type);
    }

    /** A value class read from a string or a number: java.util.Date from epoch milliseconds, and
     * classes with a static valueOf, parse or fromString, or a constructor taking the text (as
     * java.time's classes, UUID, URI, or joda-time's DateTime that aws-lambda-java-events uses). */
    static Object fromScalar(Object value, Class<?> cls) throws Exception {
        if (value instanceof Number && cls == Date.class) {
            return new Date(((Number) value).longValue());
        }
        if (value instanceof Number && cls.getName().equals("org.joda.time.DateTime")) {
            return cls.getConstructor(long.class).newInstance(((Number) value).longValue());
        }
        String text = String.valueOf(value);
        for (String name : new String[] {"valueOf", "parse", "fromString", "create"}) {
            for (Class<?> parameter : new Class<?>[] {String.class, CharSequence.class}) {
                try {
                    Method factory = cls.getMethod(name, parameter);
                    if (Modifier.isStatic(factory.getModifiers()) && cls.isAssignableFrom(factory.getReturnType())) {
                        return unwrapped(factory, null, text);
                    }
                } catch (NoSuchMethodException e) {
                    // the next one
                }
            }
        }
        for (Class<?> parameter : new Class<?>[] {String.class, Object.class}) {
            try {
                Constructor<?> constructor = cls.getConstructor(parameter);
                try {
                    return constructor.newInstance(text);
                } catch (InvocationTargetException e) {
                    throw e.getCause() instanceof Exception ? (Exception) e.getCause() : e;
                }
            } catch (NoSuchMethodException e) {
                // the next one
            }
        }
        return null;
    }

    static Object unwrapped(Method method, Object target, Object argument) throws Exception {
        try {
            return method.invoke(target, argument);
        } catch (InvocationTargetException e) {
            throw e.getCause() instanceof Exception ? (Exception) e.getCause() : e;
        }
    }

    /** A JSON name as a property name, for the names AWS's event classes spell otherwise:
     * "Records" for records, "eventSourceARN" for eventSourceArn, "detail-type" for detailType. */
    static String loose(String name) {
        StringBuilder out = new StringBuilder(name.length());
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c != '-' && c != '_') {
                out.append(Character.toLowerCase(c));
            }
        }
        return out.toString();
    }

    static String describe(Object value) {
        if (value instanceof Map) {
            return "Object value";
        }
        if (value instanceof List) {
            return "Array value";
        }
        if (value instanceof String) {
            return "String value (\"" + value + "\")";
        }
        return value.getClass().getSimpleName() + " value (" + value + ")";
    }

    static Object convertNumber(Number number, Class<?> cls) {
        if (cls == int.class || cls == Integer.class) {
            return number.intValue();
        }
        if (cls == long.class || cls == Long.class) {
            return number.longValue();
        }
        if (cls == double.class || cls == Double.class) {
            return number.doubleValue();
        }
        if (cls == float.class || cls == Float.class) {
            return number.floatValue();
        }
        if (cls == short.class || cls == Short.class) {
            return number.shortValue();
        }
        if (cls == byte.class || cls == Byte.class) {
            return number.byteValue();
        }
        if (cls == BigDecimal.class) {
            return number instanceof BigDecimal ? number : new BigDecimal(number.toString());
        }
        if (cls == BigInteger.class) {
            return number instanceof BigInteger ? number : new BigDecimal(number.toString()).toBigInteger();
        }
        return number;
    }

    static Object pojo(Map<String, Object> fields, Class<?> cls, Type type) throws Exception {
        Object[] components = recordComponents(cls);
        if (components != null) {
            Class<?>[] types = new Class<?>[components.length];
            Object[] values = new Object[components.length];
            for (int i = 0; i < components.length; i++) {
                Method getType = components[i].getClass().getMethod("getType");
                Method getGenericType = components[i].getClass().getMethod("getGenericType");
                Method getName = components[i].getClass().getMethod("getName");
                types[i] = (Class<?>) getType.invoke(components[i]);
                Type generic = (Type) getGenericType.invoke(components[i]);
                Object value = fields.get((String) getName.invoke(components[i]));
                values[i] = value == null ? defaultValue(types[i]) : convert(value, generic);
            }
            Constructor<?> constructor = cls.getDeclaredConstructor(types);
            constructor.setAccessible(true);
            return constructor.newInstance(values);
        }
        Constructor<?> constructor;
        try {
            constructor = cls.getDeclaredConstructor();
        } catch (NoSuchMethodException e) {
            throw new IllegalArgumentException("Cannot construct instance of `" + cls.getName()
                + "` (no Creators, like default constructor, exist)");
        }
        constructor.setAccessible(true);
        Object result = constructor.newInstance();
        Map<String, Method> setters = new HashMap<String, Method>();
        Map<String, Method> looseSetters = new HashMap<String, Method>();
        for (Class<?> c = cls; c != null && c != Object.class; c = c.getSuperclass()) {
            for (Method m : c.getDeclaredMethods()) {
                if (m.getName().startsWith("set") && m.getName().length() > 3 && m.getParameterTypes().length == 1
                        && !Modifier.isStatic(m.getModifiers())) {
                    String property = beanName(m.getName().substring(3));
                    if (!setters.containsKey(property)) {
                        setters.put(property, m);
                    }
                    if (!looseSetters.containsKey(loose(property))) {
                        looseSetters.put(loose(property), m);
                    }
                }
            }
        }
        for (Map.Entry<String, Object> entry : fields.entrySet()) {
            String key = entry.getKey();
            Method setter = setters.get(key);
            Field field = setter == null ? publicField(cls, key) : null;
            if (setter == null && field == null) {
                // AWS reads its event classes (aws-lambda-java-events) with mix-ins naming their
                // properties as the events spell them; a name matched loosely stands in for those.
                setter = looseSetters.get(loose(key));
            }
            if (setter != null) {
                accessible(setter);
                setter.invoke(result, convert(entry.getValue(), setter.getGenericParameterTypes()[0]));
            } else if (field != null) {
                accessible(field);
                field.set(result, convert(entry.getValue(), field.getGenericType()));
            }
        }
        return result;
    }

    /** A public member of a class that is not itself public (a nested class, say) is only
     * reached once made accessible; a module that does not open it keeps it closed. */
    static void accessible(java.lang.reflect.AccessibleObject member) {
        try {
            member.setAccessible(true);
        } catch (RuntimeException e) {
            // left as it is: public members of public classes work without it
        }
    }

    static Field publicField(Class<?> cls, String name) {
        try {
            Field field = cls.getField(name);
            int mods = field.getModifiers();
            return Modifier.isStatic(mods) || Modifier.isFinal(mods) ? null : field;
        } catch (NoSuchFieldException e) {
            return null;
        }
    }

    /** The record's components (Java 16+), reached by reflection so this file compiles on Java 8. */
    static Object[] recordComponents(Class<?> cls) {
        try {
            Method isRecord = Class.class.getMethod("isRecord");
            if (!(Boolean) isRecord.invoke(cls)) {
                return null;
            }
            return (Object[]) Class.class.getMethod("getRecordComponents").invoke(cls);
        } catch (Exception e) {
            return null;
        }
    }

    /** The property a getter or setter names, as java.beans (and Jackson's standard naming) has it. */
    static String beanName(String rest) {
        if (rest.length() > 1 && Character.isUpperCase(rest.charAt(0)) && Character.isUpperCase(rest.charAt(1))) {
            return rest;
        }
        return Character.toLowerCase(rest.charAt(0)) + rest.substring(1);
    }

    /** A POJO's properties in order: public fields, then public getters (or a record's components). */
    static Map<String, Object> properties(Object bean) throws Exception {
        Class<?> cls = bean.getClass();
        Map<String, Object> result = new LinkedHashMap<String, Object>();
        Object[] components = recordComponents(cls);
        if (components != null) {
            for (Object component : components) {
                String name = (String) component.getClass().getMethod("getName").invoke(component);
                Method accessor = (Method) component.getClass().getMethod("getAccessor").invoke(component);
                accessor.setAccessible(true);
                result.put(name, accessor.invoke(bean));
            }
            return result;
        }
        for (Field field : cls.getFields()) {
            int mods = field.getModifiers();
            if (!Modifier.isStatic(mods) && !Modifier.isTransient(mods)) {
                accessible(field);
                result.put(field.getName(), field.get(bean));
            }
        }
        for (Method m : cls.getMethods()) {
            if (Modifier.isStatic(m.getModifiers()) || m.getParameterTypes().length != 0
                    || m.getDeclaringClass() == Object.class) {
                continue;
            }
            String name = m.getName();
            String property = null;
            if (name.startsWith("get") && name.length() > 3 && m.getReturnType() != void.class) {
                property = beanName(name.substring(3));
            } else if (name.startsWith("is") && name.length() > 2 && m.getReturnType() == boolean.class) {
                property = beanName(name.substring(2));
            }
            if (property != null && !result.containsKey(property)) {
                accessible(m);
                result.put(property, m.invoke(bean));
            }
        }
        return result;
    }
}
