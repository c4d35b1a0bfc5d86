from django.http import HttpResponse


def unit_list(request):
    return HttpResponse("units")
