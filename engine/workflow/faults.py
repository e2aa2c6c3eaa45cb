"""A diagram that fails while a case runs: one clear Chinese message naming the
file and the element, e.g.

    流程 handling.bpmn 的元素 “拟定办理方案”（plan_draft）：表达式运行时间超出上限（1 秒）

The step's transaction is then rolled back by the caller (nothing of the step
is stored); the technical detail goes to the log, never to the person.
"""
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.task import Task as SpiffTask
from sqlalchemy.exc import SQLAlchemyError

from engine.definitions.budget import ExpressionLimit
from engine.definitions.sandbox import ExpressionRejected
from engine.model.errors import EngineError, ProcessFault

log = logging.getLogger(__name__)
ADVICE = "这是流程定义的问题，案件保持原状，请联系流程设计员"
_PYTHON_ERRORS = {
    "ZeroDivisionError": "除数为零",
    "TypeError": "数据类型不符",
    "ValueError": "数值无效",
    "IndexError": "下标超出范围",
    "OverflowError": "数值溢出",
    "RecursionError": "递归层数过深",
    "MemoryError": "占用内存过多",
    "UnicodeError": "文字编码错误",
}


def element_of(task: SpiffTask | None = None, task_spec: Any = None) -> str:
    """流程 <file> 的元素 “<name>”（<id>） for a Spiff task or task spec."""
    spec = task.task_spec if task is not None else task_spec
    if spec is None:
        return "流程"
    process = getattr(spec, "_wf_spec", None)
    file = getattr(task.workflow.spec, "file", None) if task is not None else getattr(process, "file", None)
    bpmn_id = getattr(spec, "bpmn_id", None) or spec.name
    name = getattr(spec, "bpmn_name", None)
    element = f"“{name}”（{bpmn_id}）" if name and name != bpmn_id else bpmn_id
    return f"流程 {file or '?'} 的元素 {element}"


def reason(err: BaseException, spec: Any = None) -> str:
    """What went wrong, in Chinese, from the innermost cause of `err`."""
    cause = innermost(err)
    if isinstance(cause, (ExpressionLimit, ExpressionRejected)):
        return cause.message
    if _chinese(str(cause)) and not isinstance(cause, KeyError):
        return str(cause)
    if isinstance(cause, NameError):
        return f"使用了未定义的名称 {getattr(cause, 'name', None) or ''}".rstrip()
    if isinstance(cause, KeyError):
        text = str(cause.args[0]) if cause.args else ""
        return text if _chinese(text) else f"任务数据中没有 {text}"
    if isinstance(cause, AttributeError):
        return f"没有属性 {getattr(cause, 'name', None) or ''}".rstrip()
    if isinstance(getattr(spec, "event_definition", None), TimerEventDefinition):
        return "定时表达式的值无效（应为 ISO 8601 日期时间、时长或带次数的循环，例如 \"P3D\"）"
    if "WorkflowDataException" in type(cause).__name__:
        return "多实例任务的数据不符合要求（集合变量缺失或不是列表/字典）"
    for kind in type(cause).__mro__:
        if kind.__name__ in _PYTHON_ERRORS:
            return _PYTHON_ERRORS[kind.__name__]
    return "运行出错"


def diagram_fault(err: BaseException, task: SpiffTask | None = None) -> ProcessFault:
    """The ProcessFault for `err`, naming the element (from `task` or the exception)."""
    task = task if task is not None else getattr(err, "task", None)
    spec = task.task_spec if task is not None else getattr(err, "task_spec", None)
    message = f"{element_of(task, spec)}：{reason(err, spec)}。{ADVICE}"
    log.warning("diagram fault: %s (%s)", message, _detail(err))
    return ProcessFault(message)


@contextmanager
def diagram_errors(task: SpiffTask | None = None) -> Iterator[None]:
    """Turn what a diagram raises while it runs into a ProcessFault naming the element.

    The engine's own errors (EngineError) and database errors pass through unchanged, also
    when a service task's database error comes wrapped in a workflow error: a lost race then
    becomes a 409 and an unreachable database a 503 (engine.adapters.db), and its SQL is never shown.
    """
    try:
        yield
    except (EngineError, SQLAlchemyError):
        raise
    except Exception as err:  # SpiffWorkflow lets plain errors out of timers and data handling too
        database = database_cause(err)
        if database is not None:
            raise database from err
        raise diagram_fault(err, task) from err


def database_cause(err: BaseException) -> SQLAlchemyError | None:
    """The database error in `err`'s chain of causes (a service task's query), if any."""
    seen = set()
    cause: BaseException | None = err
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, SQLAlchemyError):
            return cause
        cause = cause.__cause__ or getattr(cause, "exception", None) or cause.__context__
    return None


def evaluate(task: SpiffTask, expression: str) -> Any:
    """Evaluate a property expression of `task` (unit, assignee, due, index) on its engine."""
    with diagram_errors(task):
        return task.workflow.script_engine.evaluate(task, expression)


def innermost(err: BaseException) -> BaseException:
    """The first exception of `err`'s chain of causes."""
    seen = set()
    while id(err) not in seen:
        seen.add(id(err))
        inner = err.__cause__
        if inner is None and not err.__suppress_context__:
            inner = err.__context__
        if inner is None:
            break
        err = inner
    return err


def _chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def _detail(err: BaseException) -> str:
    return f"{type(err).__name__}: {err}"[:2000]
