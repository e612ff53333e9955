from archport.model import Confidence, Impact, Severity
from archport.rule import Rule


class MalformedSuppression(Rule):
    """A suppression comment that names no rule code.

    ## What it does
    Checks for `archport: ignore` comments without a list of codes, or with entries that are
    not rule codes or prefixes.

    ## Why is this a problem on ARM64?
    A blanket suppression would hide every hazard on the line, including ones added later, so
    archport does not accept it: the comment has no effect and the findings stay.

    ## Example
    ```c
    int x = 1; /* archport: ignore */
    ```

    Use instead:
    ```c
    int x = 1;
    ```

    ## Limitations
    None known.

    ## References
    - flake8's `# noqa` without codes is the habit this rule refuses.
    """

    code = "AP002"
    name = "malformed-suppression"
    summary = "Suppression comment without rule codes"
    languages = frozenset({"c", "cpp", "asm"})
    severity = Severity.WARNING
    impact = Impact.BUILD_BREAK
    confidence = Confidence.HIGH
    effort_minutes = 1
