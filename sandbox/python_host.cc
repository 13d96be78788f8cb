// Python.h must come first: it sets feature macros the C library headers depend on.
#define PY_SSIZE_T_CLEAN
#include <Python.h>
// clang-format off
#include "sandbox/python_host.h"
// clang-format on

#include <malloc.h>
#include <string.h>
#include <unistd.h>

#include <cstdlib>
#include <iterator>

#include "absl/strings/str_cat.h"
#include "sandbox/channel.h"

namespace rlvr::sandbox {
namespace {

// Set in the program's process right before the program's code runs; from then on the audit
// hook enforces the policy below. The zygote's own imports run without it.
bool g_enforce = false;

// The builtins as they were in the zygote, and the original standard streams.
PyObject* g_pristine_builtins = nullptr;
PyObject* g_stdout = nullptr;
PyObject* g_stderr = nullptr;

// Events that would reveal frames (and through them the harness's state), let the program
// rewrite control flow (tracing), enumerate every object (gc), or build code objects with
// arbitrary bytecode (code.__new__, marshal).
constexpr const char* kDeniedEvents[] = {
    "sys._current_frames", "sys._current_exceptions", "sys.settrace",      "sys.setprofile",
    "gc.get_objects",      "gc.get_referrers",        "gc.get_referents",  "code.__new__",
    "marshal.load",        "marshal.loads",           "ctypes.dlopen",     "ctypes.addressof",
    "ctypes.cdata",        "ctypes.string_at",        "ctypes.wstring_at",
};

// Attributes that hand out frame objects.
constexpr const char* kDeniedAttributes[] = {"tb_frame", "gi_frame", "cr_frame", "ag_frame"};

int AuditHook(const char* event, PyObject* args, void* /*user_data*/) {
  if (!g_enforce) return 0;
  if (strcmp(event, "sys._getframe") == 0) {
    // ValueError is what the standard library expects from a stack that is too shallow
    // (collections.namedtuple, typing and enum fall back gracefully).
    PyErr_SetString(PyExc_ValueError, "frames are not accessible in the sandbox");
    return -1;
  }
  if (strcmp(event, "object.__getattr__") == 0) {
    PyObject* name = PyTuple_Size(args) >= 2 ? PyTuple_GetItem(args, 1) : nullptr;
    const char* attr = name != nullptr && PyUnicode_Check(name) ? PyUnicode_AsUTF8(name) : "";
    if (attr == nullptr) return -1;
    for (const char* denied : kDeniedAttributes) {
      if (strcmp(attr, denied) == 0) {
        PyErr_Format(PyExc_AttributeError, "%s is not accessible in the sandbox", attr);
        return -1;
      }
    }
    return 0;
  }
  for (const char* denied : kDeniedEvents) {
    if (strcmp(event, denied) == 0) {
      PyErr_Format(PyExc_RuntimeError, "%s is not allowed in the sandbox", event);
      return -1;
    }
  }
  return 0;
}

// Comparisons the tests can trust, and the rewrite that makes the test code use them. Defined
// in the zygote, before any program runs; programs never get a reference to these functions.
// "Plain data" is exact builtin scalars and containers of them: their methods are C code the
// program cannot change. In test code:
//   a == b, a != b   -> __rlvr_eq__ / __rlvr_ne__: when one side is plain and the other is not,
//                       decided by the builtin types' own methods, never the program's objects
//                       (an "always equal" object, or an int subclass with a rigged __eq__,
//                       compares unequal to 3). Otherwise the usual ==.
//   a < b (<=, >, >=) -> __rlvr_order__: when one side is plain, a builtin scalar subclass on
//                       the other is reduced to its builtin value first, and anything else is a
//                       TypeError (the test fails) instead of a call to the program's methods.
//   a + b (- * / // % **) -> __rlvr_arith__: the same rule as ordering, so that
//                       `abs(f(x) - y) < eps` cannot be met by a rigged subtraction.
//   assert x          -> the truth of x (through `not`, `and`, `or`) by __rlvr_truth__: plain
//                       data by its builtin meaning, a scalar subclass by its builtin value,
//                       anything else is a TypeError.
// Single comparisons only: a chained `a < b < c` keeps Python's own operators.
constexpr char kTestHarness[] = R"py(
def _make():
    import ast
    scalars = (int, float, complex, str, bytes, bool, type(None))
    numbers = (int, float, complex, str, bytes)
    _type, _isinstance, _all, _range, _len = type, isinstance, all, range, len
    lget, llen, tget, tlen = list.__getitem__, list.__len__, tuple.__getitem__, tuple.__len__
    dlen, dhas, dget, diter = dict.__len__, dict.__contains__, dict.__getitem__, dict.__iter__
    sit, fit, seq, feq = set.__iter__, frozenset.__iter__, set.__eq__, frozenset.__eq__
    limit = 100

    def plain(x, depth=0):
        t = _type(x)
        if t in scalars:
            return True
        if depth > limit:
            return False
        if t is list or t is tuple or t is set or t is frozenset:
            return _all(plain(e, depth + 1) for e in x)
        if t is dict:
            return _all(plain(k, depth + 1) and plain(x[k], depth + 1) for k in x)
        return False

    def same(b, a, depth=0):
        tb = _type(b)
        if tb in scalars:
            return (_type(a) in scalars or _isinstance(a, numbers)) and tb.__eq__(b, a) is True
        if depth > limit:
            return False
        if tb is list or tb is tuple:
            if not _isinstance(a, tb):
                return False
            n = llen(a) if tb is list else tlen(a)
            get = lget if tb is list else tget
            return n == _len(b) and _all(same(b[i], get(a, i), depth + 1) for i in _range(n))
        if tb is dict:
            if not _isinstance(a, dict) or dlen(a) != _len(b):
                return False
            if not _all(plain(k, depth + 1) for k in diter(a)):
                return False
            return _all(dhas(a, k) and same(b[k], dget(a, k), depth + 1) for k in b)
        if tb is set or tb is frozenset:
            if not _isinstance(a, (set, frozenset)):
                return False
            items = sit(a) if _isinstance(a, set) else fit(a)
            if not _all(plain(e, depth + 1) for e in items):
                return False
            return (seq if tb is set else feq)(b, a) is True
        return False

    def eq(a, b):
        pa, pb = plain(a), plain(b)
        if pa and pb:
            return a == b
        if pb:
            return same(b, a)
        if pa:
            return same(a, b)
        return a == b

    def ne(a, b):
        return not eq(a, b)

    import operator
    _issubclass, _bool, _TypeError = issubclass, bool, TypeError
    orders = (operator.lt, operator.le, operator.gt, operator.ge)
    order_nodes = (ast.Lt, ast.LtE, ast.Gt, ast.GtE)
    ariths = (operator.add, operator.sub, operator.mul, operator.truediv, operator.floordiv,
              operator.mod, operator.pow)
    arith_nodes = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow)
    iadd, fadd, cadd, sadd = int.__add__, float.__add__, complex.__add__, str.__add__

    def builtin_value(x):
        # (the exact builtin value of x, True) for plain data and builtin scalar subclasses,
        # computed by the builtin types' slots; (x, False) for anything else.
        t = _type(x)
        if t in scalars:
            return x, True
        if _issubclass(t, int):
            return iadd(x, 0), True
        if _issubclass(t, float):
            return fadd(x, 0.0), True
        if _issubclass(t, complex):
            return cadd(x, 0j), True
        if _issubclass(t, str):
            return sadd(x, ''), True
        return x, plain(x)

    def refuse(what, x):
        raise _TypeError('the tests %s a value of type %s; compare plain values '
                         '(int, float, str, list, ...) instead' % (what, _type(x).__name__))

    def trusted_pair(a, b, what):
        # When exactly one side is plain data, both sides as builtin values (or a TypeError).
        if plain(a) != plain(b):
            a, ok = builtin_value(a)
            if not ok:
                refuse(what, a)
            b, ok = builtin_value(b)
            if not ok:
                refuse(what, b)
        return a, b

    def order(a, b, k):
        a, b = trusted_pair(a, b, 'order')
        return orders[k](a, b)

    def arith(a, b, k):
        if _type(a) not in scalars or _type(b) not in scalars:
            a, b = trusted_pair(a, b, 'compute with')
        return ariths[k](a, b)

    def truth(x):
        if _type(x) is _bool:
            return x
        v, ok = builtin_value(x)
        if not ok:
            refuse('take the truth of', x)
        return _bool(v)

    def call(name, args, node):
        return ast.copy_location(
            ast.Call(func=ast.Name(id=name, ctx=ast.Load()), args=args, keywords=[]), node)

    def kind(op, nodes):
        for k in _range(_len(nodes)):
            if _isinstance(op, nodes[k]):
                return k
        return -1

    class Rewrite(ast.NodeTransformer):
        def visit_Compare(self, node):
            self.generic_visit(node)
            if len(node.ops) != 1:
                return node
            op, args = node.ops[0], [node.left, node.comparators[0]]
            if _isinstance(op, (ast.Eq, ast.NotEq)):
                return call('__rlvr_eq__' if _isinstance(op, ast.Eq) else '__rlvr_ne__', args,
                            node)
            k = kind(op, order_nodes)
            if k >= 0:
                return call('__rlvr_order__', args + [ast.Constant(k)], node)
            return node

        def visit_BinOp(self, node):
            self.generic_visit(node)
            k = kind(node.op, arith_nodes)
            if k < 0:
                return node
            return call('__rlvr_arith__', [node.left, node.right, ast.Constant(k)], node)

        def visit_Assert(self, node):
            self.generic_visit(node)
            node.test = self.truth_of(node.test)
            return node

        def truth_of(self, e):
            if _isinstance(e, ast.BoolOp):
                e.values = [self.truth_of(v) for v in e.values]
                return e
            if _isinstance(e, ast.UnaryOp) and _isinstance(e.op, ast.Not):
                e.operand = self.truth_of(e.operand)
                return e
            return call('__rlvr_truth__', [e], e)

    def compile_tests(source):
        tree = Rewrite().visit(ast.parse(source, 'tests.py'))
        ast.fix_missing_locations(tree)
        return compile(tree, 'tests.py', 'exec', dont_inherit=True, optimize=0)

    return eq, ne, order, arith, truth, compile_tests

_harness = _make()
)py";

PyObject* g_compile_tests = nullptr;

void FlushStreams() {
  for (PyObject* stream : {g_stdout, g_stderr}) {
    if (stream == nullptr || stream == Py_None) continue;
    PyObject* r = PyObject_CallMethod(stream, "flush", nullptr);
    if (r == nullptr) PyErr_Clear();
    Py_XDECREF(r);
  }
}

// Ends the process the way the python3 command would after an uncaught exception, without
// running anything the program registered (atexit, finalizers).
[[noreturn]] void ExitWithPendingException() {
  int code = 1;
  if (PyErr_ExceptionMatches(PyExc_SystemExit)) {
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    PyErr_NormalizeException(&type, &value, &tb);
    PyObject* arg = value != nullptr ? PyObject_GetAttrString(value, "code") : nullptr;
    if (arg == nullptr) {
      PyErr_Clear();
      code = 0;
    } else if (arg == Py_None) {
      code = 0;
    } else if (PyLong_Check(arg)) {
      code = static_cast<int>(PyLong_AsLong(arg));
      if (PyErr_Occurred()) {
        PyErr_Clear();
        code = 1;
      }
    } else {
      PyObject_Print(arg, stderr, Py_PRINT_RAW);
      fputc('\n', stderr);
      fflush(stderr);
      code = 1;
    }
    Py_XDECREF(arg);
  } else {
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    PyErr_NormalizeException(&type, &value, &tb);
    if (tb != nullptr && value != nullptr) PyException_SetTraceback(value, tb);
    FlushStreams();
    PyErr_Display(type, value, tb);
    PyErr_Clear();
  }
  FlushStreams();
  _exit(code & 0xff);
}

PyObject* Compile(const std::string& text, const char* filename) {
  PyCompilerFlags flags = _PyCompilerFlags_INIT;
  return Py_CompileStringExFlags(text.c_str(), filename, Py_file_input, &flags, /*optimize=*/0);
}

}  // namespace

absl::Status InitializeEmbeddedPython(const std::vector<std::string>& preload_modules) {
  if (PySys_AddAuditHook(AuditHook, nullptr) != 0) {
    return absl::InternalError("cannot install the audit hook");
  }
  PyConfig config;
  PyConfig_InitIsolatedConfig(&config);
  config.site_import = 0;
  config.write_bytecode = 0;
  config.parse_argv = 0;
  // Like the python3 command: SIGPIPE and SIGXFSZ ignored (errors become exceptions).
  config.install_signal_handlers = 1;
  // Deterministic str hashing (like PYTHONHASHSEED=0): set and dict orders repeat across runs.
  config.use_hash_seed = 1;
  config.hash_seed = 0;
  PyStatus status = PyConfig_SetString(&config, &config.home, L"/usr");
  // Byte-code caches are looked up in a directory that does not exist, so imports compile from
  // source and never call marshal, which the policy denies to programs.
  if (!PyStatus_Exception(status)) {
    status = PyConfig_SetString(&config, &config.pycache_prefix, L"/nonexistent-pycache");
  }
  if (!PyStatus_Exception(status)) {
    status = PyConfig_SetString(&config, &config.program_name, L"/usr/bin/python3");
  }
  if (!PyStatus_Exception(status)) {
    status = PyConfig_SetString(&config, &config.stdio_encoding, L"utf-8");
  }
  if (!PyStatus_Exception(status)) {
    status = PyConfig_SetString(&config, &config.stdio_errors, L"surrogateescape");
  }
  if (!PyStatus_Exception(status)) {
    wchar_t* argv[] = {const_cast<wchar_t*>(L"solution.py")};
    status = PyConfig_SetArgv(&config, 1, argv);
  }
  if (!PyStatus_Exception(status)) status = Py_InitializeFromConfig(&config);
  PyConfig_Clear(&config);
  if (PyStatus_Exception(status)) {
    return absl::InternalError(absl::StrCat("Python initialization failed: ",
                                            status.err_msg != nullptr ? status.err_msg : "?"));
  }
  for (const std::string& name : preload_modules) {
    PyObject* module = PyImport_ImportModule(name.c_str());
    if (module == nullptr) {
      PyErr_Print();
      return absl::InvalidArgumentError(absl::StrCat("cannot import preload module ", name));
    }
    Py_DECREF(module);
  }
  g_pristine_builtins = PyDict_Copy(PyEval_GetBuiltins());
  if (g_pristine_builtins == nullptr) return absl::InternalError("cannot copy builtins");
  PyObject* harness_globals = PyDict_New();
  PyDict_SetItemString(harness_globals, "__builtins__", PyEval_GetBuiltins());
  PyObject* r = PyRun_String(kTestHarness, Py_file_input, harness_globals, harness_globals);
  PyObject* parts = r != nullptr ? PyDict_GetItemString(harness_globals, "_harness") : nullptr;
  constexpr const char* kHarnessNames[] = {"__rlvr_eq__", "__rlvr_ne__", "__rlvr_order__",
                                           "__rlvr_arith__", "__rlvr_truth__"};
  constexpr Py_ssize_t kHarnessParts = std::size(kHarnessNames) + 1;  // + compile_tests
  if (parts == nullptr || !PyTuple_Check(parts) || PyTuple_Size(parts) != kHarnessParts) {
    PyErr_Print();
    return absl::InternalError("cannot define the test harness");
  }
  Py_DECREF(r);
  for (Py_ssize_t i = 0; i + 1 < kHarnessParts; ++i) {
    PyDict_SetItemString(g_pristine_builtins, kHarnessNames[i], PyTuple_GetItem(parts, i));
  }
  g_compile_tests = PyTuple_GetItem(parts, kHarnessParts - 1);
  Py_INCREF(g_compile_tests);
  g_stdout = PySys_GetObject("stdout");
  g_stderr = PySys_GetObject("stderr");
  Py_XINCREF(g_stdout);
  Py_XINCREF(g_stderr);
  // Collect now so that forks start from a compact heap.
  PyGC_Collect();
  return absl::OkStatus();
}

void PythonBeforeFork() { PyOS_BeforeFork(); }
void PythonAfterForkParent() { PyOS_AfterFork_Parent(); }

void RunPythonProgram(const wire::Step& step, int result_fd) {
  PyOS_AfterFork_Child();
  // Only this process reports; a child the program forks may also reach the end of the tests.
  const pid_t program_pid = getpid();
  // One malloc arena: threads then do not each reserve 64 MiB of address space.
  mallopt(M_ARENA_MAX, 1);
  g_enforce = true;

  PyObject* main_module = PyImport_AddModule("__main__");
  if (main_module == nullptr) ExitWithPendingException();
  PyObject* globals = PyModule_GetDict(main_module);
  PyObject* file = PyUnicode_FromString(step.source_name().c_str());
  PyDict_SetItemString(globals, "__file__", file);
  Py_XDECREF(file);

  // The test code is compiled (and its comparisons rewritten) before the program runs, so
  // nothing the program does can change how.
  PyObject* test_code = nullptr;
  if (!step.test_code().empty()) {
    PyObject* text = PyUnicode_FromStringAndSize(step.test_code().data(),
                                                 static_cast<Py_ssize_t>(step.test_code().size()));
    if (text == nullptr) ExitWithPendingException();
    test_code = PyObject_CallOneArg(g_compile_tests, text);
    if (test_code == nullptr) ExitWithPendingException();
  }

  PyObject* code = Compile(step.source(), step.source_name().c_str());
  if (code == nullptr) ExitWithPendingException();
  PyObject* result = PyEval_EvalCode(code, globals, globals);
  if (result == nullptr) ExitWithPendingException();
  Py_DECREF(result);

  if (step.test_code().empty()) {
    // A plain program: end it like the python3 command does (threads joined, atexit run).
    int rc = Py_FinalizeEx();
    _exit(rc < 0 ? 120 : 0);
  }

  // The tests get their own globals (the program's names, copied now) and a pristine copy of
  // the builtins, so nothing the program kept a reference to can change what they see.
  // Clearing hooks raises the same audit events as setting them; no program code runs here.
  g_enforce = false;
  PyEval_SetTrace(nullptr, nullptr);
  PyEval_SetProfile(nullptr, nullptr);
  g_enforce = true;
  PyObject* test_globals = PyDict_Copy(globals);
  PyObject* builtins = PyDict_Copy(g_pristine_builtins);
  if (test_globals == nullptr || builtins == nullptr ||
      PyDict_SetItemString(test_globals, "__builtins__", builtins) != 0) {
    ExitWithPendingException();
  }
  result = PyEval_EvalCode(test_code, test_globals, test_globals);
  if (result == nullptr) ExitWithPendingException();

  // The test code ran to its end: report through the channel only this code knows.
  FlushStreams();
  if (getpid() == program_pid) WriteAll(result_fd, step.token().data(), step.token().size());
  _exit(0);
}

}  // namespace rlvr::sandbox
