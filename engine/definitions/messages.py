"""SpiffWorkflow's parser and the XML schema speak English: their messages about a
malformed diagram, in Chinese, with the element they are about.

`translate(message)` knows every ValidationException text SpiffWorkflow 3.2's
BPMN, spiff and DMN parsers raise, and the common XML Schema (lxml) messages;
anything else becomes a general Chinese sentence (the English goes to the log).
"""
import logging
import re

from lxml import etree

log = logging.getLogger(__name__)

# (pattern of SpiffWorkflow's message, Chinese with {1}, {2}... from the groups)
_SPIFF = [
    (r"When looking for a task spec, we found two items, perhaps a form has the same ID\? \((.*)\)",
     "顺序流指向的元素 “{1}” 不存在"),
    (r"Data Store with name (.*) has no implementation", "数据存储（Data Store）“{1}” 在本系统中没有实现，不能使用"),
    (r"Data Store identifier is missing", "数据存储（Data Store）缺少 id"),
    (r"Data Store name is missing", "数据存储（Data Store）缺少名称"),
    (r"Duplicate process ID: (.*?)\.?$", "流程 id “{1}” 重复：另一个文件中已有同 id 的流程"),
    (r"Process (.*?) is not executable", "流程 “{1}” 没有标记为可执行（isExecutable=\"true\"）"),
    (r"No start event found", "流程没有开始事件"),
    (r"Message identifier is missing", "消息（message）缺少 id"),
    (r"Signal identifier is missing", "信号（signal）缺少 id"),
    (r"Error identifier is missing", "错误（error）缺少 id"),
    (r"Escalation identifier is missing", "升级（escalation）缺少 id"),
    (r"Correlation identifier is missing", "关联属性（correlationProperty）缺少 id"),
    (r"Correlation is missing correlation property retrieval expressions: (.*)", "关联属性 “{1}” 缺少取值表达式"),
    (r"Message identifier is missing from correlation property: (.*)", "关联属性 “{1}” 缺少消息引用"),
    (r"Could not find messageRef from message event definition: (.*)", "消息事件引用的消息 “{1}” 不存在"),
    (r"Non-default exclusive outgoing sequence flow without condition", "网关的这条出口顺序流既不是默认流，也没有条件表达式"),
    (r"Exactly one start event is required in a SubWorkflow Task; found (\d+)", "子流程必须恰好有一个开始事件（现有 {1} 个）"),
    (r"A SubWorkflow Must contain an End event", "子流程必须有结束事件"),
    (r'No "calledElement" attribute for Call Activity', "调用活动缺少 calledElement（被调用的流程）"),
    (r"Invalid Script Task\.\s+No Script Provided", "脚本任务没有脚本"),
    (r"A Service Task must have an operator", "服务任务缺少 serviceTaskOperator"),
    (r"No decisions found", "决策表文件中没有决策（decision）"),
    (r"Multiple decision tables are not current supported", "一个决策只能有一张决策表"),
    (r"Unknown type in decision table: '?(.*?)'?$", "决策表中有不认识的元素 {1}"),
    (r"Malformed Output Expression '(.*?)'", "决策表的输出单元格 “{1}” 不是有效的表达式"),
    (r'No DMN Diagram available with id "(.*?)", Available DMN ids are: (.*)', "没有 id 为 “{1}” 的决策表（现有：{2}）"),
    (r"There is no support implemented for this task type", "本系统不支持这种流程元素"),
    (r"Sequential ordering for ad hoc subprocesses not supported", "不支持顺序执行的临时子流程（ad hoc）"),
    (r"Ad hoc subprocesses may not contain start or end events", "临时子流程（ad hoc）不能有开始或结束事件"),
    (r"The process '(.*?)' was not found", "找不到流程 “{1}”"),
    (r"Conditional event definition with missing condition", "条件事件缺少条件"),
    (r"Unknown Time Specification", "定时事件缺少时间设置（timeDate、timeDuration 或 timeCycle）"),
    (r"Time Specification Error", "定时事件的时间设置有误"),
    (r"Cannot resolve dataInputAssociation (.*)", "无法解析数据输入关联 “{1}”"),
    (r"Cannot resolve dataOutputAssociation (.*)", "无法解析数据输出关联 “{1}”"),
    (r"A loopMaximum or loopCondition must be specified for Loop Tasks", "循环任务必须有 loopMaximum 或 loopCondition"),
    (r"A multiinstance task must specify a cardinality or a (?:loop input data reference|collection)",
     "多实例任务必须指定次数（loopCardinality）或集合（loopDataInputRef）"),
    (r"A multiinstance task must specify exactly one of cardinality or loop input data reference",
     "多实例任务只能指定次数（loopCardinality）和集合（loopDataInputRef）中的一个"),
    (r"The loop input data reference is missing from the IO specification", "多实例的输入集合不在 IO 定义中"),
    (r"The loop output data reference is missing from the IO specification", "多实例的输出集合不在 IO 定义中"),
    (r"Cancel Events may only be used with transactions", "取消事件只能用于事务子流程"),
    (r"Multiple outgoing flows are not supported for tasks of type", "这种元素不能有多条出口顺序流（请用网关分支）"),
    (r"Expected a Message node", "缺少消息定义"),
    (r"Expected a Signal node", "缺少信号定义"),
    (r"Expected an Error node", "缺少错误定义"),
    (r"Expected an Escalation node", "缺少升级定义"),
    (r"Unsupported Catch Event", "不支持这种捕获事件"),
]
# lxml's XML Schema messages: "Element '{ns}tag', attribute 'a': ..." / "Element '{ns}tag': ..."
_ELEMENT = re.compile(r"^Element '(?:\{[^}]*\})?([^']+)'(?:, attribute '(?:\{[^}]*\})?([^']+)')?: (.*)$", re.S)
_SCHEMA = [
    (r"No matching global declaration available for the validation root", "根元素不是 BPMN 2.0 的 definitions"),
    (r"This element is not expected\. Expected is(?: one of)? \( ?(.*?) ?\)", "此处不应出现该元素（这里应为：{1}）"),
    (r"This element is not expected", "此处不应出现该元素"),
    (r"Missing child element\(s\)\. Expected is(?: one of)? \( ?(.*?) ?\)", "缺少子元素（应有：{1}）"),
    (r"Missing child element", "缺少子元素"),
    (r"The attribute '(.*?)' is not allowed", "不允许有属性 {1}"),
    (r"The attribute '(.*?)' is required but missing", "缺少必需的属性 {1}"),
    (r"is not a valid value of the atomic type '(?:\{[^}]*\})?(.*?)'", "属性值的格式不对（应为 {1}）"),
    (r"is not a valid value", "值无效"),
    (r"Character content other than whitespace is not allowed", "这里不允许有文字内容"),
    (r"No match found for key-sequence \['(.*?)'\]", "引用的 id “{1}” 不存在"),
    (r"Duplicate key-sequence \['(.*?)'\]", "id “{1}” 重复"),
]
_NS_NAME = re.compile(r"\{[^}]*\}")


def translate(message: str) -> str:
    """A Chinese sentence for a parser or XML Schema message."""
    text = (message or "").strip().rstrip(". ")
    for pattern, chinese in _SPIFF:
        match = re.search(pattern, text)
        if match:
            return chinese.format(None, *match.groups())
    element = _ELEMENT.match(text)
    if element:
        tag, attribute, rest = element.groups()
        where = f"元素 {tag}" + (f" 的属性 {attribute}" if attribute else "")
        for pattern, chinese in _SCHEMA:
            match = re.search(pattern, rest)
            if match:
                groups = [_NS_NAME.sub("", g or "") for g in match.groups()]
                return f"不符合 BPMN 2.0 规范：{where}：{chinese.format(None, *groups)}"
        return f"不符合 BPMN 2.0 规范：{where}"
    for pattern, chinese in _SCHEMA:
        if re.search(pattern, text):
            return f"不符合 BPMN 2.0 规范：{chinese.format(None, *([''] * 3))}"
    log.info("untranslated parser message: %s", text)
    return "流程图有无法解析的内容（请在设计器中检查该元素的设置）"


def xml_syntax(err: etree.XMLSyntaxError) -> str:
    """An lxml XMLSyntaxError as Chinese with its line and column."""
    line, column = getattr(err, "position", (None, None)) or (None, None)
    where = f"第 {line} 行第 {column} 列" if line else "文件中"
    return f"XML 格式错误（{where}）：文件不完整，或标签没有正确配对、属性没有加引号"
