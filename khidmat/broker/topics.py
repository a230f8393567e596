"""Topic names and filters: validation, matching, shared subscriptions, ACL coverage.

Pure functions, thread-safe. Costs are linear in the number of topic levels.
"""

from __future__ import annotations

SHARE_PREFIX = "$share/"


class TopicError(ValueError):
    """A topic name or filter breaks the MQTT rules."""


def check_topic_name(topic: str) -> None:
    """A PUBLISH topic: non-empty, no wildcards (MQTT 4.7.3)."""
    if not topic:
        raise TopicError("the topic name is empty")
    if "+" in topic or "#" in topic:
        raise TopicError("a topic name may not contain + or #")


def check_filter(topic_filter: str) -> None:
    """A subscription filter: ``+`` fills a whole level, ``#`` only the whole last level."""
    if not topic_filter:
        raise TopicError("the topic filter is empty")
    levels = topic_filter.split("/")
    for index, level in enumerate(levels):
        if "#" in level and (level != "#" or index != len(levels) - 1):
            raise TopicError("# must be the whole last level of a filter")
        if "+" in level and level != "+":
            raise TopicError("+ must be a whole level of a filter")


def split_shared(topic_filter: str) -> tuple[str | None, str]:
    """``$share/group/filter`` -> (group, filter); a plain filter -> (None, filter)."""
    if not topic_filter.startswith(SHARE_PREFIX):
        return None, topic_filter
    group, _, inner = topic_filter[len(SHARE_PREFIX) :].partition("/")
    if not group or "+" in group or "#" in group or not inner:
        raise TopicError("a shared subscription is $share/<group>/<filter>")
    return group, inner


def matches(topic_filter: str, topic: str) -> bool:
    """Does ``topic_filter`` match the topic name? Wildcards never match a leading ``$``."""
    if topic.startswith("$") and topic_filter[:1] in ("+", "#"):
        return False
    filter_levels = topic_filter.split("/")
    topic_levels = topic.split("/")
    for index, level in enumerate(filter_levels):
        if level == "#":
            return True
        if index >= len(topic_levels):
            return False
        if level != "+" and level != topic_levels[index]:
            return False
    return len(filter_levels) == len(topic_levels)


def covers(rule: str, topic_filter: str) -> bool:
    """Is every topic ``topic_filter`` can match also matched by the ACL ``rule``?

    Used to decide a SUBSCRIBE: ``a/+/c`` covers ``a/b/c`` and ``a/+/c`` but not ``a/#``.
    """
    rule_levels = rule.split("/")
    filter_levels = topic_filter.split("/")
    for index, level in enumerate(rule_levels):
        if level == "#":
            return True
        if index >= len(filter_levels):
            return False
        wanted = filter_levels[index]
        if wanted == "#":
            return False
        if level == "+":
            continue
        if wanted == "+" or wanted != level:
            return False
    return len(rule_levels) == len(filter_levels)
