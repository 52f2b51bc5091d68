/*
 * Overcast's Java runtime client: loads the handler and serves invocations over the Runtime API.
 *
 * It runs inside function processes under whichever JDK the runtime maps to, so it uses only the
 * JDK and stays compatible with Java 8 (no var, no java.net.http). The server compiles it once
 * per JDK (launcher_java.py). The function's classes are loaded as AWS's Java runtime loads them:
 * the task root, then lib/*.jar, then the layers' java/lib/*.jar, each directory's jars in
 * lexical order. aws-lambda-java-core (RequestHandler, RequestStreamHandler, Context, ...) comes
 * from the function's own jar, so it is only ever reached by name, through reflection.
 * Errors are shaped as AWS's Java runtime shapes them ({errorMessage, errorType, stackTrace}).
 */

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.reflect.Array;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.GenericArrayType;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Proxy;
import java.lang.reflect.Type;
import java.lang.reflect.TypeVariable;
import java.lang.reflect.WildcardType;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.net.Socket;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.Date;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.LinkedList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

public final class OvercastJavaRuntime {
    static final String CORE = "com.amazonaws.services.lambda.runtime.";
    static final String SELF = "OvercastJavaRuntime";

    static ClassLoader loader;
    static Class<?> contextType;
    static Class<?> loggerType;
    static PrintStream out;
    static Object logger;

    public static void main(String[] args) throws Exception {
        out = new PrintStream(new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 8192), true, "UTF-8");
        System.setOut(out);
        System.setErr(new PrintStream(new BufferedOutputStream(new FileOutputStream(FileDescriptor.err), 8192), true, "UTF-8"));
        Api api;
        try {
            api = new Api(System.getenv("AWS_LAMBDA_RUNTIME_API"));
        } catch (IOException e) {
            System.exit(1);
            return;
        }
        String handler = System.getenv("_HANDLER");
        if (handler == null) {
            handler = "";
        }
        String taskRoot = System.getProperty("user.dir");
        List<URL> urls = new ArrayList<URL>();
        urls.add(new File(taskRoot).toURI().toURL());
        addJars(new File(taskRoot, "lib"), urls);
        for (String layerRoot : args) {
            addJars(new File(new File(layerRoot, "java"), "lib"), urls);
        }
        loader = new URLClassLoader(urls.toArray(new URL[0]), ClassLoader.getSystemClassLoader());
        Thread.currentThread().setContextClassLoader(loader);
        contextType = optionalClass(CORE + "Context");
        loggerType = optionalClass(CORE + "LambdaLogger");
        if (loggerType != null) {
            logger = Proxy.newProxyInstance(loader, new Class<?>[] {loggerType}, new LoggerProxy());
            installRuntimeLogger();
        }

        Handler target;
        try {
            target = Handler.load(handler);
        } catch (Fault fault) {
            // A fatal fault (the class's static initialiser or constructor threw, its class file
            // is too new): reported as the environment's init error, then the runtime ends.
            fault.log();
            flushOutput();
            api.initError(fault.document(false), "Runtime.BadFunctionCode");
            System.exit(1);
            return;
        }

        Response next = api.next();
        while (true) {
            Invocation inv = new Invocation(next);
            String traceId = inv.header("lambda-runtime-trace-id");
            if (traceId != null) {
                System.setProperty("com.amazonaws.xray.traceHeader", traceId);
            } else {
                System.clearProperty("com.amazonaws.xray.traceHeader");
            }
            byte[] result = null;
            Fault fault = null;
            try {
                result = target.call(inv);
            } catch (Fault f) {
                fault = f;
            } catch (Throwable t) {
                fault = Fault.of(t, target.direct);
            }
            if (fault != null) {
                fault.log();
            }
            flushOutput();
            if (fault != null) {
                next = api.errorThenNext(inv.requestId, fault.document(true), fault.headerType());
                if (fault.fatal) {
                    System.exit(1);
                }
            } else {
                next = api.respondThenNext(inv.requestId, result);
            }
        }
    }

    static void flushOutput() {
        System.out.flush();
        System.err.flush();
        out.flush();
    }

    static void addJars(File dir, List<URL> urls) throws IOException {
        String[] names = dir.list();
        if (names == null) {
            return;
        }
        Arrays.sort(names);
        for (String name : names) {
            if (name.endsWith(".jar")) {
                urls.add(new File(dir, name).toURI().toURL());
            }
        }
    }

    static Class<?> optionalClass(String name) {
        try {
            return Class.forName(name, false, loader);
        } catch (ClassNotFoundException | LinkageError e) {
            return null;
        }
    }

    /** LambdaRuntime.getLogger() answers the same logger as Context.getLogger(), as on AWS. */
    static void installRuntimeLogger() {
        Class<?> runtime = optionalClass(CORE + "LambdaRuntime");
        if (runtime == null) {
            return;
        }
        try {
            Field field = runtime.getDeclaredField("logger");
            if (Modifier.isStatic(field.getModifiers()) && !Modifier.isFinal(field.getModifiers())) {
                field.setAccessible(true);
                field.set(null, logger);
            }
        } catch (Exception | LinkageError e) {
            // an aws-lambda-java-core without that field: its own logger prints to stdout anyway
        }
    }

    /** One log event: the lines of a message stay together (as AWS's framed log sink keeps them). */
    static void logEvent(String message) {
        String text = message;
        while (text.endsWith("\n")) {
            text = text.substring(0, text.length() - 1);
        }
        out.print(text.replace("\r\n", "\r").replace('\n', '\r') + "\n");
        out.flush();
    }

    // -- the Runtime API --------------------------------------------------------------------------

    static final class Response {
        int status;
        Map<String, String> headers = new HashMap<String, String>();
        byte[] body;
    }

    /** HTTP/1.1 over one kept-alive connection; an answer and the next /next go out in one write. */
    static final class Api {
        final String address;
        final Socket socket;
        final InputStream in;
        final OutputStream sink;

        Api(String address) throws IOException {
            if (address == null) {
                throw new IOException("AWS_LAMBDA_RUNTIME_API is not set");
            }
            this.address = address;
            int colon = address.lastIndexOf(':');
            String host = colon < 0 ? address : address.substring(0, colon);
            int port = colon < 0 ? 80 : Integer.parseInt(address.substring(colon + 1));
            socket = new Socket(host, port);
            socket.setTcpNoDelay(true);
            in = new BufferedInputStream(socket.getInputStream(), 65536);
            sink = socket.getOutputStream();
        }

        byte[] request(String method, String path, byte[] body, String errorType) {
            StringBuilder head = new StringBuilder();
            head.append(method).append(" /2018-06-01/runtime/").append(path).append(" HTTP/1.1\r\nHost: ")
                .append(address).append("\r\n");
            if (body != null) {
                head.append("Content-Type: application/json\r\nContent-Length: ").append(body.length).append("\r\n");
            }
            if (errorType != null) {
                head.append("Lambda-Runtime-Function-Error-Type: ").append(errorType).append("\r\n");
            }
            head.append("\r\n");
            byte[] start = head.toString().getBytes(StandardCharsets.ISO_8859_1);
            if (body == null) {
                return start;
            }
            byte[] all = Arrays.copyOf(start, start.length + body.length);
            System.arraycopy(body, 0, all, start.length, body.length);
            return all;
        }

        Response next() throws IOException {
            send(request("GET", "invocation/next", null, null));
            return read();
        }

        Response respondThenNext(String id, byte[] body) throws IOException {
            return thenNext(request("POST", "invocation/" + id + "/response", body, null));
        }

        Response errorThenNext(String id, byte[] doc, String errorType) throws IOException {
            return thenNext(request("POST", "invocation/" + id + "/error", doc, errorType));
        }

        void initError(byte[] doc, String errorType) throws IOException {
            send(request("POST", "init/error", doc, errorType));
            read();
        }

        Response thenNext(byte[] post) throws IOException {
            byte[] get = request("GET", "invocation/next", null, null);
            byte[] both = Arrays.copyOf(post, post.length + get.length);
            System.arraycopy(get, 0, both, post.length, get.length);
            send(both);
            read(); // 202, or 413 for a response too large (the server reports that error itself)
            return read();
        }

        void send(byte[] bytes) throws IOException {
            try {
                sink.write(bytes);
                sink.flush();
            } catch (IOException e) {
                gone();
            }
        }

        Response read() throws IOException {
            Response response = new Response();
            String status = line();
            int space = status.indexOf(' ');
            response.status = Integer.parseInt(status.substring(space + 1, space + 4));
            while (true) {
                String header = line();
                if (header.isEmpty()) {
                    break;
                }
                int colon = header.indexOf(':');
                if (colon > 0) {
                    response.headers.put(header.substring(0, colon).trim().toLowerCase(), header.substring(colon + 1).trim());
                }
            }
            String length = response.headers.get("content-length");
            int size = length == null ? 0 : Integer.parseInt(length);
            byte[] body = new byte[size];
            int done = 0;
            while (done < size) {
                int n = in.read(body, done, size - done);
                if (n < 0) {
                    gone();
                }
                done += n;
            }
            response.body = body;
            return response;
        }

        String line() throws IOException {
            StringBuilder text = new StringBuilder();
            while (true) {
                int c = in.read();
                if (c < 0) {
                    gone();
                }
                if (c == '\n') {
                    break;
                }
                if (c != '\r') {
                    text.append((char) c);
                }
            }
            return text.toString();
        }

        /** The server went away (or closed this environment): nothing is left to do. */
        static void gone() {
            flushOutput();
            System.exit(0);
        }
    }

    static final class Invocation {
        final Response response;
        final String requestId;
        final long deadlineMs;

        Invocation(Response response) {
            this.response = response;
            this.requestId = header("lambda-runtime-aws-request-id");
            String deadline = header("lambda-runtime-deadline-ms");
            long ms = 0;
            try {
                ms = deadline == null ? 0 : Long.parseLong(deadline);
            } catch (NumberFormatException e) {
                ms = 0;
            }
            this.deadlineMs = ms;
        }

        String header(String name) {
            return response.headers.get(name);
        }
    }

    // -- errors -----------------------------------------------------------------------------------

    /** An error as AWS's Java runtime reports it: a message, the exception's class and its trace. */
    static final class Fault extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final String msg;
        final String type;
        final String trace;
        final List<String> frames;
        final boolean fatal;

        Fault(String msg, String type, String trace, List<String> frames, boolean fatal) {
            super(msg, null, false, false);
            this.msg = msg;
            this.type = type;
            this.trace = trace;
            this.frames = frames;
            this.fatal = fatal;
        }

        /** A fault the runtime words itself (no exception class, no trace). */
        static Fault message(String msg) {
            return new Fault(msg, null, null, null, false);
        }

        static Fault of(Throwable t, boolean direct) {
            filter(t, direct);
            String msg = t.getLocalizedMessage() == null ? t.getClass().getName() : t.getLocalizedMessage();
            List<String> frames = new ArrayList<String>();
            for (StackTraceElement element : t.getStackTrace()) {
                frames.add(element.toString());
            }
            return new Fault(msg, t.getClass().getName(), traceOf(t), frames, t instanceof VirtualMachineError);
        }

        static Fault loading(Throwable t, String msg, boolean fatal) {
            filter(t, false);
            return new Fault(msg, t.getClass().getName(), traceOf(t), null, fatal);
        }

        static String traceOf(Throwable t) {
            StringWriter text = new StringWriter();
            t.printStackTrace(new PrintWriter(text));
            return text.toString();
        }

        static void filter(Throwable t, boolean direct) {
            filter(t, direct, Collections.newSetFromMap(new IdentityHashMap<Throwable, Boolean>()));
        }

        /** Our own frames are cut from the trace; so are the reflective calls into the handler
         * when AWS's runtime calls it directly (a RequestHandler or RequestStreamHandler). */
        static void filter(Throwable t, boolean direct, Set<Throwable> seen) {
            if (t == null || !seen.add(t)) {
                return;
            }
            StackTraceElement[] trace = t.getStackTrace();
            int end = trace.length;
            for (int i = 0; i < trace.length; i++) {
                if (trace[i].getClassName().startsWith(SELF)) {
                    end = i;
                    break;
                }
            }
            if (direct) {
                while (end > 0 && reflective(trace[end - 1].getClassName())) {
                    end--;
                }
            }
            if (end != trace.length) {
                t.setStackTrace(Arrays.copyOf(trace, end));
            }
            filter(t.getCause(), direct, seen);
            for (Throwable suppressed : t.getSuppressed()) {
                filter(suppressed, direct, seen);
            }
        }

        static boolean reflective(String name) {
            return name.startsWith("jdk.internal.reflect.") || name.startsWith("sun.reflect.")
                || name.equals("java.lang.reflect.Method") || name.startsWith("java.lang.invoke.");
        }

        byte[] document(boolean withTrace) {
            Map<String, Object> doc = new LinkedHashMap<String, Object>();
            doc.put("errorMessage", msg);
            if (type != null) {
                doc.put("errorType", type);
            }
            if (withTrace && frames != null) {
                doc.put("stackTrace", frames);
            }
            return Json.write(doc).getBytes(StandardCharsets.UTF_8);
        }

        String headerType() {
            return type != null ? type : "Runtime.BadFunctionCode";
        }

        /** As AWS's runtime logs it: "message: type", then the printed stack trace. */
        void log() {
            if (type != null || trace != null) {
                logEvent(msg + ": " + (type == null ? "" : type) + "\n" + (trace == null ? "" : trace));
            } else {
                logEvent(msg);
            }
        }
    }

    // -- handlers ---------------------------------------------------------------------------------

    abstract static class Handler {
        /** Whether the runtime calls the user's code directly (an interface) or a method by reflection. */
        boolean direct;

        abstract byte[] call(Invocation inv) throws Throwable;

        static Handler load(String handler) {
            int colons = handler.lastIndexOf("::");
            String className = colons < 0 ? handler : handler.substring(0, colons);
            String methodName = colons < 0 ? null : handler.substring(colons + 2);
            if (className.isEmpty() || (methodName != null && methodName.isEmpty())) {
                return new Failing(Fault.message("Invalid handler: `" + handler + "'"));
            }
            Class<?> cls;
            try {
                cls = Class.forName(className, true, loader);
            } catch (ClassNotFoundException e) {
                return new Failing(Fault.loading(e, "Class not found: " + className, false));
            } catch (NoClassDefFoundError e) {
                return new Failing(Fault.loading(e, errorLoading(className, e), false));
            } catch (Throwable t) {
                // The class's static initialiser threw, or its class file is too new for this JVM.
                throw Fault.loading(t, errorLoading(className, t), true);
            }
            return methodName == null ? forInterface(cls) : forMethod(cls, methodName);
        }

        static String errorLoading(String className, Throwable t) {
            return "Error loading class " + className + (t.getMessage() == null ? "" : ": " + t.getMessage());
        }

        static Handler forInterface(Class<?> cls) {
            Class<?> streamType = optionalClass(CORE + "RequestStreamHandler");
            Class<?> requestType = optionalClass(CORE + "RequestHandler");
            try {
                if (streamType != null && streamType.isAssignableFrom(cls)) {
                    Method method = streamType.getMethod("handleRequest", InputStream.class, OutputStream.class, contextType);
                    return new StreamCall(create(cls), method, true, true, true).directly();
                }
                if (requestType != null && requestType.isAssignableFrom(cls)) {
                    Type[] types = interfaceParameters(cls, requestType);
                    if (types == null) {
                        return new Failing(Fault.message("Class " + cls.getName()
                            + " does not implement RequestHandler with concrete type parameters"));
                    }
                    Method method = requestType.getMethod("handleRequest", Object.class, contextType);
                    return new PojoCall(create(cls), method, types[0], types[1], true, true).directly();
                }
            } catch (Fault f) {
                if (f.fatal) {
                    throw f;
                }
                return new Failing(f);
            } catch (Exception e) {
                return new Failing(Fault.of(e, true));
            }
            return new Failing(Fault.message("Class does not implement an appropriate handler interface: " + cls.getName()));
        }

        /** The class's instance, made with its public no-argument constructor. */
        static Object create(Class<?> cls) {
            Constructor<?> constructor;
            try {
                constructor = cls.getConstructor();
            } catch (NoSuchMethodException e) {
                if (cls.getEnclosingClass() != null && !Modifier.isStatic(cls.getModifiers())) {
                    throw Fault.message("Class " + cls.getName() + " cannot be instantiated because it is a non-static inner class");
                }
                throw Fault.of(new Exception("Class " + cls.getName() + " has no public zero-argument constructor", e), true);
            }
            try {
                return constructor.newInstance();
            } catch (InvocationTargetException e) {
                Throwable cause = e.getCause() == null ? e : e.getCause();
                Fault fault = Fault.of(cause, false);
                throw new Fault(fault.msg, fault.type, fault.trace, fault.frames, true);
            } catch (Exception e) {
                throw Fault.of(e, false);
            }
        }

        /** The type arguments the class gives `iface` (a breadth-first search up its hierarchy). */
        static Type[] interfaceParameters(Class<?> cls, Class<?> iface) {
            LinkedList<Type> queue = new LinkedList<Type>();
            queue.add(cls);
            Map<TypeVariable<?>, Type> bindings = new HashMap<TypeVariable<?>, Type>();
            while (!queue.isEmpty()) {
                Type current = queue.removeFirst();
                Class<?> raw = Types.raw(current);
                if (raw == null) {
                    continue;
                }
                if (current instanceof ParameterizedType) {
                    Type[] actual = ((ParameterizedType) current).getActualTypeArguments();
                    TypeVariable<?>[] vars = raw.getTypeParameters();
                    for (int i = 0; i < vars.length && i < actual.length; i++) {
                        Type bound = actual[i];
                        if (bound instanceof TypeVariable && bindings.containsKey(bound)) {
                            bound = bindings.get(bound);
                        }
                        bindings.put(vars[i], bound);
                    }
                    if (raw == iface) {
                        Type[] resolved = new Type[vars.length];
                        for (int i = 0; i < vars.length; i++) {
                            resolved[i] = bindings.get(vars[i]);
                        }
                        return resolved;
                    }
                }
                for (Type next : raw.getGenericInterfaces()) {
                    queue.add(next);
                }
                if (raw.getGenericSuperclass() != null) {
                    queue.add(raw.getGenericSuperclass());
                }
            }
            return null;
        }

        static boolean isContext(Type t) {
            return contextType != null && contextType.equals(t);
        }

        static int weight(Method m) {
            Class<?>[] params = m.getParameterTypes();
            return params.length + (params.length > 0 && isContext(params[params.length - 1]) ? 1 : 0);
        }

        /** The public method by that name whose signature AWS's runtime accepts, longest first. */
        static Handler forMethod(Class<?> cls, String name) {
            Method[] all;
            try {
                all = cls.getMethods();
            } catch (NoClassDefFoundError e) {
                return new Failing(Fault.loading(e, "Error loading method " + name + " on class " + cls.getName(), false));
            }
            List<Method> methods = new ArrayList<Method>();
            for (Method m : all) {
                if (m.getName().equals(name)) {
                    methods.add(m);
                }
            }
            Collections.sort(methods, new Comparator<Method>() {
                public int compare(Method a, Method b) {
                    if (a.isBridge() != b.isBridge()) {
                        return a.isBridge() ? 1 : -1;
                    }
                    return Integer.compare(weight(b), weight(a));
                }
            });
            for (Method m : methods) {
                Type[] p = m.getGenericParameterTypes();
                Type r = m.getGenericReturnType();
                try {
                    Handler found = overload(cls, m, p, r);
                    if (found != null) {
                        return found;
                    }
                } catch (Fault f) {
                    if (f.fatal) {
                        throw f;
                    }
                    return new Failing(f);
                }
            }
            return new Failing(Fault.message("No public method named " + name
                + " with appropriate method signature found on class " + cls.getName()));
        }

        static Handler overload(Class<?> cls, Method m, Type[] p, Type r) {
            boolean needsInstance = !Modifier.isStatic(m.getModifiers());
            if (p.length == 0) {
                return new PojoCall(instance(cls, needsInstance), m, null, r, false, false);
            }
            if (p.length == 1) {
                if (InputStream.class.equals(p[0])) {
                    return new StreamCall(instance(cls, needsInstance), m, true, false, false);
                }
                if (OutputStream.class.equals(p[0])) {
                    return new StreamCall(instance(cls, needsInstance), m, false, true, false);
                }
                if (isContext(p[0])) {
                    return new PojoCall(instance(cls, needsInstance), m, null, r, true, false);
                }
                return new PojoCall(instance(cls, needsInstance), m, p[0], r, false, true);
            }
            if (p.length == 2) {
                if (OutputStream.class.equals(p[0])) {
                    return isContext(p[1]) ? new StreamCall(instance(cls, needsInstance), m, false, true, true) : null;
                }
                if (isContext(p[0])) {
                    return null;
                }
                if (InputStream.class.equals(p[0])) {
                    if (OutputStream.class.equals(p[1])) {
                        return new StreamCall(instance(cls, needsInstance), m, true, true, false);
                    }
                    return isContext(p[1]) ? new StreamCall(instance(cls, needsInstance), m, true, false, true) : null;
                }
                return isContext(p[1]) ? new PojoCall(instance(cls, needsInstance), m, p[0], r, true, true) : null;
            }
            if (p.length == 3 && InputStream.class.equals(p[0]) && OutputStream.class.equals(p[1]) && isContext(p[2])) {
                return new StreamCall(instance(cls, needsInstance), m, true, true, true);
            }
            return null;
        }

        static Object instance(Class<?> cls, boolean needed) {
            return needed ? create(cls) : null;
        }

        Handler directly() {
            direct = true;
            return this;
        }

        static Object invoke(Method m, Object target, Object[] args) throws Throwable {
            Types.accessible(m);
            try {
                return m.invoke(target, args);
            } catch (InvocationTargetException e) {
                throw e.getCause() == null ? e : e.getCause();
            }
        }
    }

    /** A handler that cannot run: every invocation answers its fault (as AWS's runtime does). */
    static final class Failing extends Handler {
        final Fault fault;

        Failing(Fault fault) {
            this.fault = fault;
        }

        byte[] call(Invocation inv) {
            throw fault;
        }
    }

    static final class StreamCall extends Handler {
        final Object target;
        final Method method;
        final boolean input;
        final boolean output;
        final boolean context;

        StreamCall(Object target, Method method, boolean input, boolean output, boolean context) {
            this.target = target;
            this.method = method;
            this.input = input;
            this.output = output;
            this.context = context;
        }

        byte[] call(Invocation inv) throws Throwable {
            ByteArrayOutputStream result = new ByteArrayOutputStream(1024);
            List<Object> args = new ArrayList<Object>(3);
            if (input) {
                args.add(new ByteArrayInputStream(inv.response.body));
            }
            if (output) {
                args.add(result);
            }
            if (context) {
                args.add(LambdaContext.of(inv));
            }
            invoke(method, target, args.toArray());
            return result.toByteArray();
        }
    }

    static final class PojoCall extends Handler {
        final Object target;
        final Method method;
        final Type input;
        final Type output;
        final boolean context;
        final boolean takesInput;

        PojoCall(Object target, Method method, Type input, Type output, boolean context, boolean takesInput) {
            this.target = target;
            this.method = method;
            this.input = input;
            this.output = output;
            this.context = context;
            this.takesInput = takesInput;
        }

        byte[] call(Invocation inv) throws Throwable {
            Object event = null;
            if (input != null) {
                try {
                    event = Types.convert(Json.parse(new String(inv.response.body, StandardCharsets.UTF_8)), input);
                } catch (Throwable t) {
                    Fault.filter(t, false);
                    throw new RuntimeException("An error occurred during JSON parsing", t);
                }
            }
            List<Object> args = new ArrayList<Object>(2);
            if (takesInput) {
                args.add(event);
            }
            if (context) {
                args.add(LambdaContext.of(inv));
            }
            Object result = invoke(method, target, args.toArray());
            if (Types.isVoid(output)) {
                return "null".getBytes(StandardCharsets.UTF_8);
            }
            try {
                return Json.write(result).getBytes(StandardCharsets.UTF_8);
            } catch (Throwable t) {
                throw new RuntimeException("An error occurred during JSON serialization of response", t);
            }
        }
    }

    // -- the context ------------------------------------------------------------------------------

    /** The function's Context: a proxy of the aws-lambda-java-core interface in its own jar. */
    static final class LambdaContext implements InvocationHandler {
        static final String FUNCTION_NAME = System.getenv("AWS_LAMBDA_FUNCTION_NAME");
        static final String FUNCTION_VERSION = System.getenv("AWS_LAMBDA_FUNCTION_VERSION");
        static final String LOG_GROUP = System.getenv("AWS_LAMBDA_LOG_GROUP_NAME");
        static final String LOG_STREAM = System.getenv("AWS_LAMBDA_LOG_STREAM_NAME");
        static final int MEMORY = parseInt(System.getenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"));

        final Invocation inv;

        LambdaContext(Invocation inv) {
            this.inv = inv;
        }

        static int parseInt(String text) {
            try {
                return text == null ? 0 : Integer.parseInt(text.trim());
            } catch (NumberFormatException e) {
                return 0;
            }
        }

        static Object of(Invocation inv) {
            if (contextType == null) {
                return null;
            }
            return Proxy.newProxyInstance(loader, new Class<?>[] {contextType}, new LambdaContext(inv));
        }

        public Object invoke(Object proxy, Method method, Object[] args) {
            String name = method.getName();
            if (name.equals("getAwsRequestId")) {
                return inv.requestId;
            } else if (name.equals("getFunctionName")) {
                return FUNCTION_NAME;
            } else if (name.equals("getFunctionVersion")) {
                return FUNCTION_VERSION;
            } else if (name.equals("getInvokedFunctionArn")) {
                return inv.header("lambda-runtime-invoked-function-arn");
            } else if (name.equals("getLogGroupName")) {
                return LOG_GROUP;
            } else if (name.equals("getLogStreamName")) {
                return LOG_STREAM;
            } else if (name.equals("getMemoryLimitInMB")) {
                return MEMORY;
            } else if (name.equals("getRemainingTimeInMillis")) {
                return (int) Math.max(0, inv.deadlineMs - System.currentTimeMillis());
            } else if (name.equals("getLogger")) {
                return logger;
            } else if (name.equals("getXrayTraceId")) {
                return inv.header("lambda-runtime-trace-id");
            } else if (name.equals("getIdentity")) {
                return identity();
            } else if (name.equals("getClientContext")) {
                return clientContext();
            } else if (name.equals("toString") && method.getParameterTypes().length == 0) {
                return "LambdaContext[requestId=" + inv.requestId + "]";
            } else if (name.equals("hashCode") && method.getParameterTypes().length == 0) {
                return System.identityHashCode(proxy);
            } else if (name.equals("equals") && method.getParameterTypes().length == 1) {
                return proxy == args[0];
            }
            return Types.defaultValue(method.getReturnType());
        }

        Object identity() {
            String header = inv.header("lambda-runtime-cognito-identity");
            Class<?> type = optionalClass(CORE + "CognitoIdentity");
            if (header == null || header.isEmpty() || type == null) {
                return null;
            }
            Object doc = Json.parse(header);
            final Map<?, ?> fields = doc instanceof Map ? (Map<?, ?>) doc : Collections.emptyMap();
            return view(type, new String[][] {
                {"getIdentityId", "cognitoIdentityId"}, {"getIdentityPoolId", "cognitoIdentityPoolId"}}, fields);
        }

        Object clientContext() {
            String header = inv.header("lambda-runtime-client-context");
            Class<?> type = optionalClass(CORE + "ClientContext");
            if (header == null || header.isEmpty() || type == null) {
                return null;
            }
            Object doc = Json.parse(header);
            Map<?, ?> fields = doc instanceof Map ? (Map<?, ?>) doc : Collections.emptyMap();
            Map<String, Object> values = new HashMap<String, Object>();
            values.put("custom", fields.get("custom"));
            values.put("env", fields.get("env"));
            Class<?> clientType = optionalClass(CORE + "Client");
            Object client = fields.get("client");
            if (clientType != null && client instanceof Map) {
                values.put("client", view(clientType, new String[][] {
                    {"getInstallationId", "installation_id"}, {"getAppTitle", "app_title"},
                    {"getAppVersionName", "app_version_name"}, {"getAppVersionCode", "app_version_code"},
                    {"getAppPackageName", "app_package_name"}}, (Map<?, ?>) client));
            }
            return view(type, new String[][] {{"getClient", "client"}, {"getCustom", "custom"}, {"getEnvironment", "env"}},
                values);
        }

        /** A proxy of `type` whose getters answer the named fields of a JSON document. */
        static Object view(Class<?> type, final String[][] getters, final Map<?, ?> fields) {
            return Proxy.newProxyInstance(loader, new Class<?>[] {type}, new InvocationHandler() {
                public Object invoke(Object proxy, Method method, Object[] args) {
                    for (String[] getter : getters) {
                        if (getter[0].equals(method.getName())) {
                            Object value = fields.get(getter[1]);
                            return method.getReturnType() == String.class && value != null ? String.valueOf(value) : value;
                        }
                    }
                    if (method.getName().equals("hashCode")) {
                        return System.identityHashCode(proxy);
                    }
                    if (method.getName().equals("equals")) {
                        return proxy == args[0];
                    }
                    if (method.getName().equals("toString")) {
                        return String.valueOf(fields);
                    }
                    return Types.defaultValue(method.getReturnType());
                }
            });
        }
    }

    /** LambdaLogger: each call is one log event, as on AWS. */
    static final class LoggerProxy implements InvocationHandler {
        public Object invoke(Object proxy, Method method, Object[] args) {
            String name = method.getName();
            if (name.equals("log") && args != null && args.length > 0) {
                Object message = args[0];
                if (message instanceof byte[]) {
                    logEvent(new String((byte[]) message, StandardCharsets.UTF_8));
                } else {
                    logEvent(String.valueOf(message));
                }
                return null;
            }
            if (name.equals("hashCode")) {
                return System.identityHashCode(proxy);
            }
            if (name.equals("equals")) {
                return proxy == args[0];
            }
            if (name.equals("toString")) {
                return "LambdaLogger";
            }
            return Types.defaultValue(method.getReturnType());
        }
    }

    // -- types ------------------------------------------------------------------------------------

    /** JSON values to the handler's declared types and back, as AWS's serializer (Jackson) reads
     * them: POJOs by setters and public fields, records by their components, unknown properties
     * ignored, standard bean names (getURL is "URL", getName is "name"), nulls left out. */
    static final class Types {
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
                throw new IllegalArgumentException("Cannot construct instance of `" + cls.getName()
                    + "`: no delegate- or property-based Creator to deserialize from " + describe(value));
            }
            return pojo((Map<String, Object>) value, cls, type);
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
            for (Class<?> c = cls; c != null && c != Object.class; c = c.getSuperclass()) {
                for (Method m : c.getDeclaredMethods()) {
                    if (m.getName().startsWith("set") && m.getName().length() > 3 && m.getParameterTypes().length == 1
                            && !Modifier.isStatic(m.getModifiers())) {
                        String property = beanName(m.getName().substring(3));
                        if (!setters.containsKey(property)) {
                            setters.put(property, m);
                        }
                    }
                }
            }
            for (Map.Entry<String, Object> entry : fields.entrySet()) {
                Method setter = setters.get(entry.getKey());
                if (setter != null) {
                    setter.setAccessible(true);
                    setter.invoke(result, convert(entry.getValue(), setter.getGenericParameterTypes()[0]));
                    continue;
                }
                Field field = publicField(cls, entry.getKey());
                if (field != null) {
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

    // -- JSON -------------------------------------------------------------------------------------

    static final class Json {
        final String text;
        int pos;

        Json(String text) {
            this.text = text;
        }

        static Object parse(String text) {
            Json parser = new Json(text);
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
                for (Map.Entry<String, Object> entry : Types.properties(value).entrySet()) {
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
}
