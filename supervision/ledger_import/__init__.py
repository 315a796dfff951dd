"""Legacy ledger import (历史台账导入): the template, reading and writing of a ledger .xlsx, the files
waiting for confirmation, and the pages."""
