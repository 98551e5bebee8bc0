from kustos.billing.models.activation import ServiceActivation
from kustos.billing.models.prices import Price
from kustos.billing.models.usage import UsageSample

__all__ = ["Price", "ServiceActivation", "UsageSample"]
